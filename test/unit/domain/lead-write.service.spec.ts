/**
 * LeadWriteService with strict fakes (STYLE habit 9): the only repositories it may touch are the
 * write store (lockForWrite, apply) and, for erasure, the activity rows that may name an
 * address; any other access fails the test. Each rule of SPEC §2 is checked on the data the
 * service hands to apply (rows, activity rows, master changes, propagation sets), so a rule
 * variant needs no database and no HTTP round trip.
 */
import { LeadWriteService } from "../../../src/domain/lead-write.service";
import { FieldCatalogue } from "../../../src/domain/lead-fields";
import type { NormalisedInput } from "../../../src/domain/lead-input";
import type { NewActivity, Repositories } from "../../../src/domain/ports";
import { Channels, SystemReasons, type EmailStatus, type Lead } from "../../../src/domain/types";
import { checkLeadRow, type LockRequest, type PlanResult, type WriteOutcome, type WritePlan, type WriteTarget } from "../../../src/domain/write-plan";
import { emailKey } from "../../../src/domain/email";

const hasher = (key: string) => `h(${key})`;
const hashOf = (email: string) => hasher(emailKey(email) as string);
const AT = new Date("2026-12-01T10:00:00Z");

interface World {
  masters: Map<string, EmailStatus>;
  leads: Lead[];
}

function lead(id: number, email: string | null, unsubscribed = false, extra: Partial<Lead> = {}): Lead {
  const key = emailKey(email);
  return {
    id,
    email,
    emailKey: key,
    emailHash: key ? hasher(key) : null,
    foreignSysPersonId: null,
    foreignSysType: null,
    partitionId: 1,
    unsubscribed,
    unsubscribedReason: null,
    fields: {},
    createdAt: AT,
    updatedAt: new Date(AT.getTime() + id),
    ...extra,
  };
}

function master(email: string, unsubscribed: boolean): EmailStatus {
  return { emailHash: hashOf(email), email, unsubscribed, reason: null, channel: null, source: null, changedAt: null, leadId: null };
}

/** A strict fake of the repositories: what the write path may use, nothing else. */
function fakeRepos(world: World, applied: WriteOutcome[], requests: LockRequest[]): Repositories {
  const allowed: Partial<Repositories> = {
    writes: {
      async lockForWrite(request) {
        requests.push(request);
        const hashes = new Set(request.addresses.map((a) => a.emailHash));
        for (const id of request.leadIds) {
          const l = world.leads.find((x) => x.id === id);
          if (l?.emailHash) hashes.add(l.emailHash);
        }
        const masters = new Map<string, EmailStatus>();
        for (const h of hashes) {
          const a = request.addresses.find((x) => x.emailHash === h);
          masters.set(h, world.masters.get(h) ?? { ...master(a?.email ?? "", false), emailHash: h });
        }
        const leads = world.leads.filter(
          (l) =>
            request.leadIds.includes(l.id) ||
            (l.emailHash && hashes.has(l.emailHash)) ||
            request.foreignIds.some((f) => f.type === l.foreignSysType && f.id === l.foreignSysPersonId),
        );
        return { masters, leads };
      },
      async rememberAddresses() {
        throw new Error("the write path does not remember addresses");
      },
      async apply(outcome) {
        let next = 1000;
        for (const l of outcome.inserts) if (!l.id) l.id = next++;
        applied.push(outcome);
      },
    },
    activities: {
      async emailChangeRowsMentioning() {
        return [{ id: 77, attributes: [{ name: "Old Value", value: "Gone@Example.com" }, { name: "New Value", value: "other@example.com" }] }];
      },
    } as unknown as Repositories["activities"],
    afterCommit: () => undefined,
  };
  return new Proxy(allowed as Repositories, {
    get(target, prop: string) {
      if (!(prop in target)) throw new Error(`unexpected use of repositories.${prop}`);
      return target[prop as keyof Repositories];
    },
  });
}

async function run(world: World, plans: WritePlan[]): Promise<{ outcome: WriteOutcome; results: PlanResult[]; activities: NewActivity[]; request: LockRequest }> {
  const applied: WriteOutcome[] = [];
  const requests: LockRequest[] = [];
  const service = new LeadWriteService({
    tx: { run: () => Promise.reject(new Error("unexpected transaction")), read: () => Promise.reject(new Error("unexpected read")) },
    hasher,
    fields: () => new FieldCatalogue(),
    now: () => AT,
  });
  const results = await service.runIn(fakeRepos(world, applied, requests), plans);
  expect(applied).toHaveLength(1);
  const outcome = applied[0];
  // Every row the outcome writes passes the subscriber's check.
  for (const row of [...outcome.inserts, ...outcome.updates]) expect(checkLeadRow(outcome, row, row, hasher)).toBeNull();
  return { outcome, results, activities: outcome.activities.map((b) => b()), request: requests[0] };
}

const match: WriteTarget = { kind: "match", dedupByEmail: true, keepGivenId: false, createIn: 1 };
const sync = (data: Partial<NormalisedInput>): WritePlan => ({ op: "write", target: match, data: { ...data, fields: data.fields ?? {} }, intent: { channel: Channels.soap, requestedUnsubscribed: data.unsubscribed } });
const flagRows = (activities: NewActivity[]): Record<string, string | number>[] =>
  activities
    .filter((a) => a.mktgAssetName === "Unsubscribed")
    .map((a) => ({ leadId: a.leadId, ...Object.fromEntries(a.attributes.filter((x) => ["Old Value", "New Value", "Reason"].includes(x.name)).map((x) => [x.name, x.value])) }));

describe(LeadWriteService.name, () => {
  it("D1: an unsubscribe changes the master and propagates to every other lead with the address, each with a row", async () => {
    const world = { masters: new Map([[hashOf("a@x.com"), master("a@x.com", false)]]), leads: [lead(1, "a@x.com"), lead(2, "A@x.com"), lead(3, "b@x.com")] };
    const { outcome, activities } = await run(world, [sync({ id: 1, unsubscribed: true })]);
    expect(outcome.updates.map((l) => [l.id, l.unsubscribed])).toEqual([[1, true]]);
    expect(outcome.propagations).toEqual([{ unsubscribed: true, leadIds: [2] }]);
    expect(outcome.masterChanges.map((m) => [m.emailHash, m.change.unsubscribed, m.change.reason])).toEqual([[hashOf("a@x.com"), true, "Web service API"]]);
    expect(flagRows(activities)).toEqual([
      { leadId: 1, "Old Value": "false", "New Value": "true", Reason: "Web service API" },
      { leadId: 2, "Old Value": "false", "New Value": "true", Reason: SystemReasons.propagate },
    ]);
  });

  it("one-click (D1): the link's lead gets the channel's row and an Unsubscribe Email row; the others propagate; again, nothing", async () => {
    const world = { masters: new Map([[hashOf("a@x.com"), master("a@x.com", false)]]), leads: [lead(1, "a@x.com"), lead(2, "a@x.com"), lead(3, "b@x.com")] };
    const click: WritePlan = { op: "oneClick", emailHash: hashOf("a@x.com"), leadId: 2, label: "Spring", channel: Channels.oneClick };
    const { outcome, activities } = await run(world, [click]);
    expect(outcome.updates.map((l) => [l.id, l.unsubscribed])).toEqual([[2, true]]);
    expect(outcome.propagations).toEqual([{ unsubscribed: true, leadIds: [1] }]);
    expect(outcome.masterChanges.map((m) => [m.change.unsubscribed, m.change.channel, m.change.reason, m.causedBy?.id])).toEqual([[true, "oneClick", "One-click unsubscribe", 2]]);
    expect(flagRows(activities)).toEqual([
      { leadId: 2, "Old Value": "false", "New Value": "true", Reason: "One-click unsubscribe" },
      { leadId: 1, "Old Value": "false", "New Value": "true", Reason: SystemReasons.propagate },
    ]);
    expect(activities.filter((a) => a.typeName === "Unsubscribe Email").map((a) => [a.leadId, a.mktgAssetName])).toEqual([[2, "Spring"]]);

    const done = { masters: new Map([[hashOf("a@x.com"), master("a@x.com", true)]]), leads: [lead(1, "a@x.com", true), lead(2, "a@x.com", true)] };
    const again = await run(done, [click]);
    expect(again.outcome.masterChanges).toEqual([]);
    expect(again.activities).toEqual([]);
  });

  it("D2: a re-subscribe of an existing lead re-subscribes the address and every lead with it", async () => {
    const world = { masters: new Map([[hashOf("a@x.com"), master("a@x.com", true)]]), leads: [lead(1, "a@x.com", true), lead(2, "a@x.com", true)] };
    const { outcome } = await run(world, [sync({ id: 1, unsubscribed: false })]);
    expect(outcome.decided.get(hashOf("a@x.com"))).toBe(false);
    expect(outcome.propagations).toEqual([{ unsubscribed: false, leadIds: [2] }]);
  });

  it("D2: an API user without the permission may not re-subscribe (the record fails, nothing is written)", async () => {
    const world = { masters: new Map([[hashOf("a@x.com"), master("a@x.com", true)]]), leads: [lead(1, "a@x.com", true)] };
    const plan: WritePlan = { op: "write", target: match, data: { id: 1, unsubscribed: false, fields: {} }, intent: { channel: Channels.soap, requestedUnsubscribed: false, mayResubscribe: false } };
    const { outcome, results } = await run(world, [plan]);
    expect("error" in results[0] && results[0].error.kind).toBe("accessDenied");
    expect(outcome.updates).toEqual([]);
    expect(outcome.masterChanges).toEqual([]);
  });

  it("D3: a create for an unsubscribed address starts unsubscribed whatever the request says (resetLeadEmailStatus)", async () => {
    const world = { masters: new Map([[hashOf("a@x.com"), master("a@x.com", true)]]), leads: [] };
    const { outcome, activities, results } = await run(world, [sync({ email: "a@x.com", unsubscribed: false })]);
    expect("ok" in results[0] && results[0].ok.status).toBe("CREATED");
    expect(outcome.inserts.map((l) => l.unsubscribed)).toEqual([true]);
    expect(outcome.masterChanges).toEqual([]);
    expect(activities.map((a) => a.typeName)).toEqual(["New Lead", "Change Data Value"]);
    expect(flagRows(activities)[0].Reason).toBe(SystemReasons.reset);
  });

  it("D3 + D1: a create with Unsubscribed=true unsubscribes its address", async () => {
    const world = { masters: new Map(), leads: [lead(5, "a@x.com")] };
    const { outcome } = await run(world, [{ ...sync({ email: "a@x.com", unsubscribed: true }), target: { ...match, dedupByEmail: false } } as WritePlan]);
    expect(outcome.inserts).toHaveLength(1);
    expect(outcome.masterChanges[0].causedBy).toBe(outcome.inserts[0]);
    expect(outcome.propagations).toEqual([{ unsubscribed: true, leadIds: [5] }]);
  });

  it("D4: a delete leaves the master as it is and logs Delete Lead", async () => {
    const world = { masters: new Map([[hashOf("a@x.com"), master("a@x.com", true)]]), leads: [lead(1, "a@x.com", true)] };
    const { outcome, activities } = await run(world, [{ op: "delete", leadId: 1, channel: Channels.adminApi }]);
    expect(outcome.deletes).toEqual([1]);
    expect(outcome.masterChanges).toEqual([]);
    expect(activities.map((a) => a.typeName)).toEqual(["Delete Lead"]);
  });

  it("D5: an email change adopts B's status; Unsubscribed=false sent with it does not re-subscribe B", async () => {
    const world = { masters: new Map([[hashOf("b@x.com"), master("b@x.com", true)]]), leads: [lead(1, "a@x.com"), lead(2, "b@x.com", true)] };
    const { outcome, activities, request } = await run(world, [sync({ id: 1, email: "b@x.com", unsubscribed: false })]);
    expect(request.addresses.map((a) => a.emailHash)).toEqual([hashOf("b@x.com")]);
    expect(request.leadIds).toEqual([1]);
    expect(outcome.updates.map((l) => [l.id, l.email, l.unsubscribed])).toEqual([[1, "b@x.com", true]]);
    expect(outcome.masterChanges).toEqual([]);
    expect(flagRows(activities)).toEqual([{ leadId: 1, "Old Value": "false", "New Value": "true", Reason: SystemReasons.reset }]);
  });

  it("D5: a change of case only is not an email change", async () => {
    const world = { masters: new Map([[hashOf("a@x.com"), master("a@x.com", false)]]), leads: [lead(1, "a@x.com")] };
    const { outcome, activities } = await run(world, [sync({ id: 1, email: "A@X.com" })]);
    expect(outcome.updates.map((l) => l.emailHash)).toEqual([hashOf("a@x.com")]);
    expect(flagRows(activities)).toEqual([]);
  });

  it("D6: setting the flag it already has writes nothing", async () => {
    const world = { masters: new Map([[hashOf("a@x.com"), master("a@x.com", true)]]), leads: [lead(1, "a@x.com", true)] };
    const { outcome, activities } = await run(world, [sync({ id: 1, unsubscribed: true })]);
    expect(outcome.updates).toEqual([]);
    expect(outcome.masterChanges).toEqual([]);
    expect(activities).toEqual([]);
  });

  it("D7: a lead with no email has only its own flag", async () => {
    const world = { masters: new Map(), leads: [lead(1, null)] };
    const { outcome } = await run(world, [sync({ id: 1, unsubscribed: true })]);
    expect(outcome.updates.map((l) => l.unsubscribed)).toEqual([true]);
    expect(outcome.ownFlags.get(outcome.updates[0])).toBe(true);
    expect(outcome.masterChanges).toEqual([]);
  });

  it("D8: records fold in order, a repeated key updates the lead an earlier record created, and a bad record fails alone", async () => {
    const world = { masters: new Map(), leads: [] };
    const { outcome, results } = await run(world, [sync({ email: "n@x.com", fields: { FirstName: "A" } }), sync({ id: 999 }), sync({ email: "N@x.com", unsubscribed: true })]);
    expect(results.map((r) => ("ok" in r ? r.ok.status : r.error.kind))).toEqual(["CREATED", "leadNotFound", "UPDATED"]);
    expect(outcome.inserts).toHaveLength(1);
    expect(outcome.inserts[0]).toMatchObject({ unsubscribed: true, fields: { FirstName: "A" } });
    expect(outcome.updates).toEqual([]);
    expect(outcome.masterChanges.map((m) => m.causedBy)).toEqual([outcome.inserts[0]]);
  });

  it("D9: a merge deletes the losers, keeps the winner's email and unsubscribes it if any merged lead was", async () => {
    const world = { masters: new Map(), leads: [lead(1, "w@x.com", false, { fields: { FirstName: "W" } }), lead(2, "l@x.com", true, { fields: { LastName: "L" } })] };
    const { outcome, activities } = await run(world, [{ op: "merge", winnerId: 1, loserIds: [2], channel: Channels.soap }]);
    expect(outcome.deletes).toEqual([2]);
    expect(outcome.updates.map((l) => [l.id, l.email, l.unsubscribed, l.fields])).toEqual([[1, "w@x.com", true, { FirstName: "W", LastName: "L" }]]);
    expect(outcome.masterChanges.map((m) => [m.emailHash, m.change.unsubscribed])).toEqual([[hashOf("w@x.com"), true]]);
    expect(activities.map((a) => a.typeName)).toEqual(["Delete Lead", "Change Data Value", "Change Data Value", "Merge Leads"]);
  });

  it("erasure deletes every lead with the address, keeps it unsubscribed (reason erased) and blanks the rows that name it", async () => {
    const world = { masters: new Map([[hashOf("gone@example.com"), master("gone@example.com", false)]]), leads: [lead(1, "gone@example.com"), lead(2, "Gone@example.com")] };
    const { outcome, results } = await run(world, [{ op: "erase", email: "gone@example.com", channel: Channels.adminApi }]);
    expect(outcome.deletes).toEqual([1, 2]);
    expect(outcome.masterChanges.map((m) => [m.email, m.change.unsubscribed, m.change.reason])).toEqual([["", true, "erased"]]);
    expect(outcome.blankAddresses).toEqual([hashOf("gone@example.com")]);
    expect(outcome.blankActivities).toEqual([{ id: 77, attributes: [{ name: "Old Value", value: "" }, { name: "New Value", value: "other@example.com" }] }]);
    expect("ok" in results[0] && results[0].ok.blanked).toBe(1);
  });

  it("the subscriber's check refuses a row whose flag disagrees with its address's decided status", async () => {
    const world = { masters: new Map([[hashOf("a@x.com"), master("a@x.com", true)]]), leads: [lead(1, "a@x.com", true)] };
    const { outcome } = await run(world, [sync({ id: 1, fields: { FirstName: "X" } })]);
    const row = outcome.updates[0];
    expect(checkLeadRow(outcome, row, { ...row, unsubscribed: false }, hasher)).toMatch(/disagrees|not the ones decided/);
    expect(checkLeadRow(outcome, undefined, row, hasher)).toMatch(/did not decide/);
    expect(checkLeadRow(undefined, row, row, hasher)).toMatch(/without a plan/);
  });
});
