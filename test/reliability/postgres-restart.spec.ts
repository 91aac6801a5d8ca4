/**
 * PostgreSQL stopped and restarted, or hung, under load (issue "Reliability and security"):
 * while a few clients keep writing, the database server is stopped (`pg_ctl stop -m fast`:
 * sessions terminated, new connections refused), or frozen (SIGSTOP: connections accepted,
 * nothing answered, as with a hung server or a network partition). Every request still gets an
 * answer within a bound: a Marketo fault 20011 with nothing from inside (no stack trace, no
 * driver message), never a hang, and the process stays up. When PostgreSQL is back, the same
 * process serves requests again by itself, and the invariant holds.
 *
 * The test starts a private PostgreSQL cluster (initdb/pg_ctl of the installed PostgreSQL) so it
 * can stop it; the server runs as a child process (src/main.ts) on it.
 */
import { setTimeout as sleep } from "node:timers/promises";
import { Client } from "pg";
import { assertHistoryConsistent, leadRecordXml, prng } from "../support/concurrent-workload";
import { assertInvariant } from "../support/invariant";
import { findPostgresBin, startPrivateCluster, type PrivateCluster } from "../support/postgres-admin";
import { spawnServer, type ServerProcess } from "../support/server-process";
import { envelope } from "../support/test-app";
import { describeWithTool } from "../support/test-env";

const CLIENTS = 4;
/** No request may take longer than this, database down or not. */
const ANSWER_BOUND_MS = 15000;
/** The server's limits in this test: waiting for a connection, and a whole transaction. */
const CONNECTION_TIMEOUT_MS = 2000;
const TRANSACTION_TIMEOUT_MS = 4000;
/** While the database is frozen, a request fails after at most about one of each. */
const FROZEN_BOUND_MS = CONNECTION_TIMEOUT_MS + TRANSACTION_TIMEOUT_MS + 2000;
const ADDRESSES = ["pr-ann@example.com", "pr-bob@example.com", "pr-cat@example.org", "pr-dan@example.net"];

type Phase = "up" | "down" | "back";

interface Answer {
  /** The phase the request was sent in, and the one it was answered in. */
  readonly phase: Phase;
  readonly endPhase: Phase;
  readonly op: string;
  readonly ms: number;
  /** HTTP status, or 0 when the request got no HTTP answer at all. */
  readonly status: number;
  readonly code?: string;
  readonly body: string;
}

/** A few clients writing and reading shared addresses until stopped; every answer is recorded with the phase it started in. */
class Load {
  phase: Phase = "up";
  readonly answers: Answer[] = [];
  private running = true;
  private readonly clients: Promise<void[]>;

  constructor(private readonly url: string) {
    this.clients = Promise.all(Array.from({ length: CLIENTS }, (_, n) => this.client(n)));
  }

  async call(op: string, body: string): Promise<Answer> {
    const phase = this.phase;
    const started = Date.now();
    let status = 0;
    let text = "";
    try {
      const res = await fetch(`${this.url}/soap/mktows/2_2`, {
        method: "POST",
        headers: { "content-type": "text/xml; charset=utf-8" },
        body: envelope(body),
        signal: AbortSignal.timeout(ANSWER_BOUND_MS * 3),
      });
      status = res.status;
      text = await res.text();
    } catch (error) {
      text = `no answer: ${String(error)}`;
    }
    const answer = { phase, endPhase: this.phase, op, ms: Date.now() - started, status, code: /<code>(\d+)<\/code>/.exec(text)?.[1], body: text.slice(0, 600) };
    this.answers.push(answer);
    return answer;
  }

  private async client(n: number): Promise<void> {
    const rnd = prng(7000 + n);
    while (this.running) {
      const email = ADDRESSES[Math.floor(rnd() * ADDRESSES.length)];
      const r = rnd();
      if (r < 0.45) await this.call("unsubscribe", `<ns1:paramsSyncLead>${leadRecordXml({ email, unsubscribed: true })}<returnLead>false</returnLead></ns1:paramsSyncLead>`);
      else if (r < 0.7) await this.call("resubscribe", `<ns1:paramsSyncLead>${leadRecordXml({ email, unsubscribed: false })}<returnLead>false</returnLead></ns1:paramsSyncLead>`);
      else if (r < 0.85) {
        const records = [leadRecordXml({ email, unsubscribed: rnd() < 0.5 }), leadRecordXml({ email: ADDRESSES[n % ADDRESSES.length] })].join("");
        await this.call("batch", `<ns1:paramsSyncMultipleLeads><leadRecordList>${records}</leadRecordList><dedupEnabled>false</dedupEnabled></ns1:paramsSyncMultipleLeads>`);
      } else await this.call("getLead", `<ns1:paramsGetLead><leadKey><keyType>EMAIL</keyType><keyValue>${email}</keyValue></leadKey></ns1:paramsGetLead>`);
      await sleep(5);
    }
  }

  /** Sends a write until one succeeds (within the bound); the ms it took, or -1. */
  async waitForRecovery(): Promise<number> {
    const started = Date.now();
    while (Date.now() - started < ANSWER_BOUND_MS) {
      const a = await this.call("probe", `<ns1:paramsSyncLead>${leadRecordXml({ email: "pr-probe@example.com", unsubscribed: false })}<returnLead>false</returnLead></ns1:paramsSyncLead>`);
      if (a.status === 200) return Date.now() - started;
      await sleep(200);
    }
    return -1;
  }

  async stop(): Promise<void> {
    this.running = false;
    await this.clients;
  }

  summary(): string {
    const phases: Phase[] = ["up", "down", "back"];
    return phases
      .map((p) => {
        const xs = this.answers.filter((a) => a.phase === p);
        const byOutcome: Record<string, number> = {};
        for (const a of xs) {
          const k = a.status === 200 ? "ok" : `${a.status}/${a.code ?? "-"}`;
          byOutcome[k] = (byOutcome[k] ?? 0) + 1;
        }
        return `${p} ${xs.length} requests, max ${Math.max(0, ...xs.map((a) => a.ms))} ms ${JSON.stringify(byOutcome)}`;
      })
      .join("; ");
  }
}

const bin = findPostgresBin();

describeWithTool("PostgreSQL stopped and restarted, or hung, under load", !!bin, "PostgreSQL's server binaries (initdb, pg_ctl; Debian package postgresql)", () => {
  let cluster: PrivateCluster | undefined;
  let server: ServerProcess | undefined;
  let dbUrl = "";

  beforeAll(async () => {
    cluster = await startPrivateCluster(bin as string);
    const admin = new Client({ connectionString: cluster.url });
    await admin.connect();
    await admin.query(`CREATE DATABASE mk_restart`);
    await admin.end();
    dbUrl = cluster.url.replace(/\/postgres$/, "/mk_restart");
    server = await spawnServer({
      DATABASE_URL: dbUrl,
      DB_POOL_SIZE: "6",
      DB_STATEMENT_TIMEOUT_MS: "3000",
      DB_CONNECTION_TIMEOUT_MS: String(CONNECTION_TIMEOUT_MS),
      DB_TRANSACTION_TIMEOUT_MS: String(TRANSACTION_TIMEOUT_MS),
      SHUTDOWN_DRAIN_MS: "2000",
    });
  });
  afterAll(async () => {
    await server?.stop();
    await cluster?.destroy();
  });

  const health = async () => (await fetch(`${(server as ServerProcess).url}/healthz`, { signal: AbortSignal.timeout(ANSWER_BOUND_MS) })).status;

  /** What must hold of any outage: bounded answers, only 20011 faults that leak nothing, recovery, the process up, the invariant. */
  async function expectOutageHandled(load: Load, boundMs: number, recoveredAfter: number): Promise<void> {
    const s = server as ServerProcess;
    const { answers } = load;
    // Before the outage: everything worked (requests still in flight when it began may fail).
    expect(answers.filter((a) => a.endPhase === "up" && a.status !== 200).map((a) => a.body)).toEqual([]);
    // Every request got an HTTP answer within the bound: a success or a Marketo 20011 fault.
    const slow = answers.filter((a) => a.ms > boundMs || a.status === 0);
    expect(slow.map((a) => `${a.phase} ${a.op}: ${a.ms} ms, ${a.body.slice(0, 200)}`)).toEqual([]);
    const badFaults = answers.filter((a) => a.status !== 200 && !(a.status === 500 && a.code === "20011"));
    expect(badFaults.map((a) => `${a.phase} ${a.op}: HTTP ${a.status} ${a.body.slice(0, 300)}`)).toEqual([]);
    // Faults say nothing from inside: no driver message, no stack trace.
    const leaky = answers.filter((a) => a.status !== 200 && /ECONN|terminat|postgres|timeout|Error:|\n\s+at\s|\.[jt]s:\d+|node_modules/i.test(a.body));
    expect(leaky.map((a) => a.body)).toEqual([]);
    expect(answers.filter((a) => a.phase === "down" && a.code === "20011").length).toBeGreaterThan(0);

    // It came back by itself, in the same process, and everything after the recovery worked.
    expect(recoveredAfter).toBeGreaterThanOrEqual(0);
    expect(s.child.exitCode).toBeNull();
    expect(s.child.signalCode).toBeNull();
    expect(await health()).toBe(200);
    const afterRecovery = answers.filter((a) => a.phase === "back");
    expect(afterRecovery.length).toBeGreaterThan(0);
    expect(afterRecovery.filter((a) => a.status !== 200).map((a) => `${a.op}: ${a.body.slice(0, 300)}`)).toEqual([]);
    // The internal errors were logged (with their cause, for the operator), not sent.
    expect(s.logs.some((l) => l.level === "error" && l.code === 20011)).toBe(true);

    const db = new Client({ connectionString: dbUrl });
    await db.connect();
    try {
      await assertInvariant(db);
      await assertHistoryConsistent(db);
    } finally {
      await db.end();
    }
  }

  it("stopped (pg_ctl stop -m fast) and started again: fault 20011 within the bound, then recovery by itself", async () => {
    const c = cluster as PrivateCluster;
    const load = new Load((server as ServerProcess).url);
    await sleep(1500);
    load.phase = "down";
    await c.stop();
    await sleep(3000);
    const healthDown = await health();
    await c.start();
    const recoveredAfter = await load.waitForRecovery();
    load.phase = "back";
    await sleep(1500);
    await load.stop();
    process.stderr.write(`postgres-restart (stopped): ${load.summary()}; recovered ${recoveredAfter} ms after the restart\n`);
    expect(healthDown).toBe(503);
    await expectOutageHandled(load, ANSWER_BOUND_MS, recoveredAfter);
  });

  it("hung (every PostgreSQL process stopped with SIGSTOP): fault 20011 within the connection and transaction timeouts, then recovery", async () => {
    const c = cluster as PrivateCluster;
    const load = new Load((server as ServerProcess).url);
    await sleep(1500);
    load.phase = "down";
    await c.freeze();
    let healthDown: number;
    try {
      // Frozen for longer than any request may take: no answer may wait for the thaw.
      await sleep(FROZEN_BOUND_MS + 2000);
      healthDown = await health();
    } finally {
      await c.thaw();
    }
    const recoveredAfter = await load.waitForRecovery();
    load.phase = "back";
    await sleep(1500);
    await load.stop();
    process.stderr.write(`postgres-restart (frozen): ${load.summary()}; recovered ${recoveredAfter} ms after the thaw\n`);
    expect(healthDown).toBe(503);
    await expectOutageHandled(load, FROZEN_BOUND_MS, recoveredAfter);
  });
});
