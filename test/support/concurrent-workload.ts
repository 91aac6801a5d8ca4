/**
 * The conflicting workload of the invariant tests (test/integration/invariant-concurrency.spec.ts,
 * test/reliability/scale-out.spec.ts): 16 SOAP/admin clients run seeded random, conflicting
 * writes on a handful of shared addresses (unsubscribes, re-subscribes, duplicate creates,
 * email changes between the addresses, deletes) against one or more servers, then the database
 * is checked: every lead agrees with its master row, and every master row's history ends in
 * (and alternates towards) its current status.
 *
 * Reproduce a failure with INVARIANT_SEED=<seed printed in the failure>.
 */
import { assertInvariant, rowsOf, type Queryable } from "./invariant";
import { envelope, TEST_ADMIN_TOKEN } from "./test-app";

export const SEED = Number(process.env.INVARIANT_SEED ?? 20260501);
export const CLIENTS = 16;
/** Each address is written in several spellings that share one email key. */
export const ADDRESSES = ["ann@example.com", "bob@example.com", "cat@example.org", "dan@example.net", "eve@example.com"];

/** mulberry32: a small, seedable PRNG. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export interface Target {
  /** The app(s) to send requests to: client n uses urls[n % urls.length]. */
  readonly urls: readonly string[];
  readonly db: Queryable;
}

export interface Outcome {
  readonly ops: number;
  readonly counts: Record<string, number>;
  readonly notFound: number;
  readonly unexpected: string[];
  readonly ms: number;
}

export async function soapCall(url: string, body: string): Promise<{ status: number; body: string }> {
  const res = await fetch(`${url}/soap/mktows/2_2`, { method: "POST", headers: { "content-type": "text/xml; charset=utf-8" }, body: envelope(body) });
  return { status: res.status, body: await res.text() };
}

export function leadRecordXml(r: { id?: number; email?: string; unsubscribed?: boolean; firstName?: string }): string {
  const attrs: string[] = [];
  if (r.unsubscribed !== undefined) attrs.push(`<attribute><attrName>Unsubscribed</attrName><attrValue>${r.unsubscribed}</attrValue></attribute>`);
  if (r.firstName !== undefined) attrs.push(`<attribute><attrName>FirstName</attrName><attrValue>${r.firstName}</attrValue></attribute>`);
  return (
    `<leadRecord>${r.id !== undefined ? `<Id>${r.id}</Id>` : ""}${r.email !== undefined ? `<Email>${r.email}</Email>` : ""}` +
    `${attrs.length ? `<leadAttributeList>${attrs.join("")}</leadAttributeList>` : ""}</leadRecord>`
  );
}

const ids = (xml: string): number[] => [...xml.matchAll(/<leadId>(\d+)<\/leadId>/g)].map((m) => Number(m[1]));

/**
 * Runs the workload. Every client has its own PRNG (seed + client number); which lead ids exist
 * depends on the interleaving, so a seed reproduces the operation mix, not the exact schedule.
 */
export async function runWorkload(target: Target, iterations: number, seed: number): Promise<Outcome> {
  const started = Date.now();
  const known: number[] = [];
  const counts: Record<string, number> = {};
  const unexpected: string[] = [];
  let notFound = 0;

  // One lead per address to begin with, so that the first Id-based operations have targets.
  for (const address of ADDRESSES) {
    const res = await soapCall(target.urls[0], `<ns1:paramsSyncLead>${leadRecordXml({ email: address })}<returnLead>false</returnLead></ns1:paramsSyncLead>`);
    if (res.status !== 200) throw new Error(`seeding ${address} failed: ${res.body}`);
    known.push(ids(res.body)[0]);
  }

  /** A fault or FAILED record is expected only as 20103 for an Id that may have been deleted. */
  const checkSoap = (op: string, res: { status: number; body: string }, sentId: boolean) => {
    if (res.status === 200) {
      for (const m of res.body.matchAll(/<status>FAILED<\/status><error>([^<]*)<\/error>/g)) {
        if (sentId && /^No lead found with IDNUM = \d+$/.test(m[1])) notFound++;
        else unexpected.push(`${op}: FAILED record: ${m[1]}`);
      }
      return;
    }
    const fault = /<faultstring>([^<]*)<\/faultstring>/.exec(res.body)?.[1] ?? res.body.slice(0, 300);
    if (sentId && res.status === 500 && fault.startsWith("20103 ")) notFound++;
    else unexpected.push(`${op}: HTTP ${res.status}: ${fault}`);
  };

  const client = async (n: number) => {
    const rnd = prng(seed * 31 + n);
    const url = target.urls[n % target.urls.length];
    const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rnd() * xs.length)];
    const address = () => {
      const a = pick(ADDRESSES);
      const r = rnd();
      return r < 0.6 ? a : r < 0.8 ? a.toUpperCase() : ` ${a[0].toUpperCase()}${a.slice(1)} `;
    };
    const flag = (): boolean | undefined => (rnd() < 0.2 ? undefined : rnd() < 0.5);
    for (let i = 0; i < iterations; i++) {
      const r = rnd();
      const id = pick(known);
      let op: string;
      if (r < 0.2) {
        op = "unsubscribe";
        const res = await soapCall(url, `<ns1:paramsSyncLead>${leadRecordXml({ email: address(), unsubscribed: true })}<returnLead>false</returnLead></ns1:paramsSyncLead>`);
        checkSoap(op, res, false);
      } else if (r < 0.36) {
        op = "resubscribe";
        const res = await soapCall(url, `<ns1:paramsSyncLead>${leadRecordXml({ email: address(), unsubscribed: false })}<returnLead>false</returnLead></ns1:paramsSyncLead>`);
        checkSoap(op, res, false);
      } else if (r < 0.44) {
        op = "flagById";
        const res = await soapCall(url, `<ns1:paramsSyncLead>${leadRecordXml({ id, unsubscribed: rnd() < 0.5 })}<returnLead>false</returnLead></ns1:paramsSyncLead>`);
        checkSoap(op, res, true);
      } else if (r < 0.62) {
        op = "createDuplicates";
        const records: string[] = [];
        const count = 1 + Math.floor(rnd() * 3);
        for (let k = 0; k < count; k++) {
          // Now and then a lead with no email, which an email change may later give an address (D5).
          records.push(rnd() < 0.15 ? leadRecordXml({ firstName: `NoEmail${n}`, unsubscribed: flag() }) : leadRecordXml({ email: address(), unsubscribed: flag() }));
        }
        const res = await soapCall(
          url,
          `<ns1:paramsSyncMultipleLeads><leadRecordList>${records.join("")}</leadRecordList><dedupEnabled>false</dedupEnabled></ns1:paramsSyncMultipleLeads>`,
        );
        checkSoap(op, res, false);
        if (res.status === 200) for (const created of ids(res.body)) if (created > 0 && !known.includes(created)) known.push(created);
      } else if (r < 0.77) {
        op = "changeEmail";
        const res = await soapCall(url, `<ns1:paramsSyncLead>${leadRecordXml({ id, email: address(), unsubscribed: flag() })}<returnLead>false</returnLead></ns1:paramsSyncLead>`);
        checkSoap(op, res, true);
      } else if (r < 0.82) {
        op = "adminPatch";
        const patch = rnd() < 0.5 ? { unsubscribed: rnd() < 0.5 } : { email: address(), ...(rnd() < 0.3 ? { unsubscribed: rnd() < 0.5 } : {}) };
        const res = await fetch(`${url}/admin/api/leads/${id}`, {
          method: "PATCH",
          headers: { authorization: `Bearer ${TEST_ADMIN_TOKEN}`, "content-type": "application/json" },
          body: JSON.stringify(patch),
        });
        const text = await res.text();
        if (res.status === 404) notFound++;
        else if (res.status !== 200) unexpected.push(`${op}: HTTP ${res.status}: ${text.slice(0, 300)}`);
      } else if (r < 0.92) {
        op = "batchMixed";
        const records = [leadRecordXml({ email: address(), unsubscribed: flag() }), leadRecordXml({ id, email: address(), unsubscribed: flag() })];
        if (rnd() < 0.5) records.reverse();
        const res = await soapCall(url, `<ns1:paramsSyncMultipleLeads><leadRecordList>${records.join("")}</leadRecordList></ns1:paramsSyncMultipleLeads>`);
        checkSoap(op, res, true);
      } else {
        op = "adminDelete";
        const res = await fetch(`${url}/admin/api/leads/${id}`, { method: "DELETE", headers: { authorization: `Bearer ${TEST_ADMIN_TOKEN}` } });
        const text = await res.text();
        if (res.status === 404) notFound++;
        else if (res.status !== 204) unexpected.push(`${op}: HTTP ${res.status}: ${text.slice(0, 300)}`);
      }
      counts[op] = (counts[op] ?? 0) + 1;
    }
  };
  await Promise.all(Array.from({ length: CLIENTS }, (_, n) => client(n)));
  return { ops: CLIENTS * iterations, counts, notFound, unexpected, ms: Date.now() - started };
}

/** Every master row: its history (oldest first) alternates from subscribed and ends in its status. */
export async function assertHistoryConsistent(db: Queryable): Promise<{ addresses: number; historyRows: number }> {
  const masters = rowsOf<{ email_hash: string; unsubscribed: boolean }>(await db.query(`SELECT email_hash, unsubscribed FROM email_status ORDER BY email_hash`));
  const history = rowsOf<{ email_hash: string; unsubscribed: boolean }>(await db.query(`SELECT email_hash, unsubscribed FROM email_status_history ORDER BY email_hash, id`));
  const byHash = new Map<string, boolean[]>();
  for (const h of history) byHash.set(h.email_hash, [...(byHash.get(h.email_hash) ?? []), h.unsubscribed]);
  const problems: string[] = [];
  for (const m of masters) {
    const seq = byHash.get(m.email_hash) ?? [];
    const last = seq.length ? seq[seq.length - 1] : false;
    if (last !== m.unsubscribed) problems.push(`${m.email_hash.slice(0, 12)}…: master ${m.unsubscribed}, last history ${seq.length ? last : "(none)"}`);
    // A master starts subscribed and each history row is a change (D6: no-ops write nothing).
    seq.forEach((v, i) => {
      const before = i === 0 ? false : seq[i - 1];
      if (v === before) problems.push(`${m.email_hash.slice(0, 12)}…: history row ${i + 1} of ${seq.length} repeats ${v} (${seq.join(",")})`);
    });
    byHash.delete(m.email_hash);
  }
  for (const orphan of byHash.keys()) problems.push(`${orphan.slice(0, 12)}…: history without a master row`);
  if (problems.length) throw new Error(`master history inconsistent:\n  ${problems.slice(0, 10).join("\n  ")}`);
  return { addresses: masters.length, historyRows: history.length };
}

export async function runAndCheck(target: Target, iterations: number, label: string, internalErrors: () => string[] = () => []): Promise<void> {
  const outcome = await runWorkload(target, iterations, SEED);
  const leads = rowsOf<{ n: number; u: number }>(await target.db.query(`SELECT count(*)::int AS n, count(*) FILTER (WHERE unsubscribed)::int AS u FROM lead`));
  process.stderr.write(
    `${label}: seed ${SEED}, ${outcome.ops} operations by ${CLIENTS} clients in ${outcome.ms} ms (${JSON.stringify(outcome.counts)}), ` +
      `${outcome.notFound} not-found for deleted ids, ${leads[0].n} leads (${leads[0].u} unsubscribed)\n`,
  );
  const context = `seed ${SEED} (INVARIANT_SEED=${SEED} to reproduce)`;
  expect({ context, unexpected: outcome.unexpected.slice(0, 20), internalErrors: internalErrors().slice(0, 5) }).toEqual({ context, unexpected: [], internalErrors: [] });
  await assertInvariant(target.db);
  const history = await assertHistoryConsistent(target.db);
  expect(history.addresses).toBeGreaterThanOrEqual(ADDRESSES.length);
  expect(history.historyRows).toBeGreaterThan(0);
}
