/**
 * Issue 14: pushed changes. Every committed change of an address's status reaches a real HTTP
 * receiver on loopback as signed JSON, at least once, in commit order per address: through
 * failures (retried with backoff), a SIGKILL between commit and delivery (delivered after the
 * restart), and two processes on one database (no event sent twice at the same time).
 */
import { createHmac, randomUUID } from "node:crypto";
import http from "node:http";
import type { AddressInfo } from "node:net";
import { createScratchDatabase, type ScratchDatabase } from "../support/postgres-admin";
import { spawnServer, type ServerProcess } from "../support/server-process";
import { envelope, startTestApp, type TestApp } from "../support/test-app";
import { describeWithTool, onRealPostgres } from "../support/test-env";

const SECRET = "webhook-test-secret-0123456789";

interface Delivery {
  readonly eventId: string;
  readonly body: Record<string, unknown>;
  readonly raw: string;
  readonly signature: string;
  readonly accepted: boolean;
}

/** A webhook receiver: `answer` decides each request's status (or `hang` to never answer). */
class Receiver {
  readonly deliveries: Delivery[] = [];
  readonly inFlight = new Map<string, number>();
  concurrentDuplicates = 0;
  answer: (n: number) => number | "hang" = () => 200;
  delayMs = 0;
  private server = http.createServer((req, res) => {
    let raw = "";
    req.on("data", (c: Buffer) => (raw += c.toString("utf8")));
    req.on("end", () => {
      const eventId = String(req.headers["mktows-event-id"] ?? "");
      const flying = (this.inFlight.get(eventId) ?? 0) + 1;
      this.inFlight.set(eventId, flying);
      if (flying > 1) this.concurrentDuplicates++;
      const status = this.answer(this.deliveries.length);
      const done = () => {
        this.inFlight.set(eventId, (this.inFlight.get(eventId) ?? 1) - 1);
        this.deliveries.push({ eventId, body: JSON.parse(raw) as Record<string, unknown>, raw, signature: String(req.headers["mktows-signature"] ?? ""), accepted: status === 200 });
        if (status !== "hang") res.writeHead(status).end();
      };
      if (status === "hang") {
        this.deliveries.push({ eventId, body: JSON.parse(raw) as Record<string, unknown>, raw, signature: String(req.headers["mktows-signature"] ?? ""), accepted: false });
        // Never answers; in flight until the sender gives up or dies (the socket closes).
        res.on("close", () => this.inFlight.set(eventId, (this.inFlight.get(eventId) ?? 1) - 1));
        return;
      }
      setTimeout(done, this.delayMs);
    });
  });
  get url(): string {
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}/hook`;
  }
  async start(): Promise<void> {
    await new Promise<void>((resolve) => this.server.listen(0, "127.0.0.1", () => resolve()));
  }
  async stop(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise((resolve) => this.server.close(resolve));
  }
  accepted(): Delivery[] {
    return this.deliveries.filter((d) => d.accepted);
  }
  async until(check: () => boolean, timeoutMs = 30000): Promise<void> {
    const end = Date.now() + timeoutMs;
    while (!check()) {
      if (Date.now() > end) throw new Error(`receiver: condition not met within ${timeoutMs} ms (${this.deliveries.length} deliveries)`);
      await new Promise((r) => setTimeout(r, 50));
    }
  }
}

/** What a receiver must check: the HMAC of "<t>.<body>" with the shared secret (snippet in the README). */
function verify(signature: string, raw: string): boolean {
  const m = /^t=(\d+),v1=([0-9a-f]{64})$/.exec(signature);
  if (!m) return false;
  const expected = createHmac("sha256", SECRET).update(`${m[1]}.${raw}`).digest("hex");
  return expected === m[2] && Math.abs(Date.now() / 1000 - Number(m[1])) < 300;
}

const unsubscribeXml = (email: string, unsubscribed: boolean) =>
  `<ns1:paramsSyncLead><leadRecord><Email>${email}</Email><leadAttributeList><attribute><attrName>Unsubscribed</attrName><attrValue>${unsubscribed}</attrValue></attribute></leadAttributeList></leadRecord><returnLead>false</returnLead></ns1:paramsSyncLead>`;

async function soap(url: string, xml: string): Promise<void> {
  const res = await fetch(`${url}/soap/mktows/2_2`, { method: "POST", headers: { "content-type": "text/xml; charset=utf-8" }, body: envelope(xml) });
  expect(res.status).toBe(200);
}

describe("webhook of status changes (issue 14)", () => {
  let receiver: Receiver;
  let app: TestApp;
  beforeAll(async () => {
    receiver = new Receiver();
    await receiver.start();
    app = await startTestApp({ WEBHOOK_URL: receiver.url, WEBHOOK_SECRET: SECRET, WEBHOOK_RETRY_BASE_MS: "50", WEBHOOK_POLL_MS: "100", WEBHOOK_TIMEOUT_MS: "2000", WEBHOOK_LEASE_MS: "5000" });
  });
  afterAll(async () => {
    // The setting is the database's: leave the shared test database without a webhook.
    expect((await app.admin("DELETE", "/webhook")).status).toBe(204);
    await app.stop();
    await receiver.stop();
  });

  it("delivers every change, signed, in commit order per address, through failed deliveries; erasure sends only the hash", async () => {
    receiver.answer = (n) => (n < 3 ? 500 : 200);
    const steps: [string, boolean][] = [
      ["ann@example.com", true],
      ["bo@example.com", true],
      ["ann@example.com", false],
      ["ann@example.com", true],
      ["bo@example.com", false],
    ];
    for (const [email, flag] of steps) await soap(app.url, unsubscribeXml(email, flag));
    await soap(app.url, unsubscribeXml("cy@example.com", true));
    expect((await app.admin("POST", "/erase", { email: "cy@example.com" })).status).toBe(200);

    const history = (await app.dataSource.query(`SELECT count(*)::int AS n FROM email_status_history`))[0].n as number;
    expect(history).toBe(7);
    await receiver.until(() => receiver.accepted().length >= history);
    const accepted = receiver.accepted();
    expect(accepted).toHaveLength(history);
    expect(receiver.deliveries.length).toBeGreaterThanOrEqual(history + 3);
    for (const d of receiver.deliveries) expect(verify(d.signature, d.raw)).toBe(true);
    expect(new Set(accepted.map((d) => d.eventId)).size).toBe(history);
    const flagsOf = (address: string) => accepted.filter((d) => d.body.address === address).map((d) => d.body.unsubscribed);
    expect(flagsOf("ann@example.com")).toEqual([true, false, true]);
    expect(flagsOf("bo@example.com")).toEqual([true, false]);
    const erasure = accepted.find((d) => d.body.reason === "erased");
    expect(erasure?.body).toMatchObject({ address: null, unsubscribed: true, channel: "adminApi", addressHash: expect.stringMatching(/^[0-9a-f]{64}$/) });
    expect(accepted[0].body).toMatchObject({ type: "email_status.changed", channel: "soap", reason: "Web service API", source: "Web service API", at: expect.any(String) });

    const metrics = await (await fetch(`${app.url}/metrics`)).text();
    expect(metrics).toMatch(/^mktows_webhook_outbox_events \d+$/m);
    expect(metrics).toMatch(/^mktows_webhook_outbox_oldest_seconds [\d.]+$/m);
  });

  it("lists failed deliveries for the operator, and replays from an event id", async () => {
    receiver.deliveries.length = 0;
    receiver.answer = () => 503;
    await soap(app.url, unsubscribeXml("dee@example.com", true));
    await receiver.until(() => receiver.deliveries.length >= 2);
    const failed = await app.admin("GET", "/webhook/failed");
    expect(failed.status).toBe(200);
    const event = (failed.body.events as { eventId: string; address: string; lastError: string; attempts: number }[]).find((e) => e.address === "dee@example.com");
    expect(event).toMatchObject({ lastError: "HTTP 503" });
    expect(event?.attempts).toBeGreaterThanOrEqual(1);

    receiver.answer = () => 200;
    await receiver.until(() => receiver.accepted().some((d) => d.eventId === event?.eventId));
    const before = receiver.accepted().length;
    const replay = await app.admin("POST", "/webhook/replay", { fromEventId: event?.eventId });
    expect(replay).toMatchObject({ status: 200, body: { queued: 1 } });
    await receiver.until(() => receiver.accepted().length > before);
    expect(receiver.accepted().at(-1)?.eventId).toBe(event?.eventId);
    expect((await app.admin("POST", "/webhook/replay", { fromEventId: randomUUID() })).status).toBe(404);
    expect((await app.admin("POST", "/webhook/replay", { fromEventId: "-".repeat(36) })).status).toBe(404);
  });

  it("a change made by a process without WEBHOOK_URL (another server, the import) still gets its event, sent by the one that has it", async () => {
    receiver.deliveries.length = 0;
    receiver.answer = () => 200;
    const plain = await startTestApp();
    try {
      await soap(plain.url, unsubscribeXml("other@example.com", true));
    } finally {
      await plain.stop();
    }
    await receiver.until(() => receiver.accepted().some((d) => d.body.address === "other@example.com"));
  });
});

describeWithTool("webhook across restarts and processes (issue 14)", onRealPostgres(), "a PostgreSQL server at TEST_DATABASE_URL", () => {
  let scratch: ScratchDatabase | undefined;
  let receiver: Receiver;
  const servers: ServerProcess[] = [];
  const env = () => ({ DATABASE_URL: (scratch as ScratchDatabase).url, DB_POOL_SIZE: "4", WEBHOOK_URL: receiver.url, WEBHOOK_SECRET: SECRET, WEBHOOK_RETRY_BASE_MS: "50", WEBHOOK_POLL_MS: "100", WEBHOOK_TIMEOUT_MS: "1000", WEBHOOK_LEASE_MS: "2000" });

  beforeAll(async () => {
    scratch = await createScratchDatabase(process.env.TEST_DATABASE_URL as string, "mk_hook");
    receiver = new Receiver();
    await receiver.start();
  });
  afterAll(async () => {
    await Promise.all(servers.map((s) => s.stop()));
    await receiver.stop();
    await scratch?.drop();
  });

  it("a change committed but not delivered when the server is killed (SIGKILL) is delivered after the restart", async () => {
    receiver.answer = () => "hang";
    const first = await spawnServer(env());
    servers.push(first);
    await soap(first.url, unsubscribeXml("kill@example.com", true));
    await receiver.until(() => receiver.deliveries.length >= 1);
    first.child.kill("SIGKILL");
    await first.exited;
    servers.pop();
    expect(receiver.accepted()).toHaveLength(0);

    receiver.answer = () => 200;
    const second = await spawnServer(env());
    servers.push(second);
    await receiver.until(() => receiver.accepted().length >= 1);
    expect(receiver.accepted()[0].body).toMatchObject({ address: "kill@example.com", unsubscribed: true });
    await second.stop();
    servers.pop();
  });

  it("two processes deliver every event once at a time (no duplicate in flight), in order per address", async () => {
    receiver.deliveries.length = 0;
    receiver.concurrentDuplicates = 0;
    receiver.delayMs = 30;
    receiver.answer = (n) => (n % 7 === 3 ? 500 : 200);
    const [a, b] = await Promise.all([spawnServer(env()), spawnServer(env())]);
    servers.push(a, b);
    const addresses = Array.from({ length: 8 }, (_, i) => `two${i}@example.com`);
    const writes: Promise<void>[] = [];
    for (let round = 0; round < 4; round++) {
      for (const [i, email] of addresses.entries()) writes.push(soap((i + round) % 2 ? a.url : b.url, unsubscribeXml(email, round % 2 === 0)));
      await Promise.all(writes.splice(0));
    }
    const expected = addresses.length * 4;
    await receiver.until(() => new Set(receiver.accepted().map((d) => d.eventId)).size >= expected, 60000);
    expect(receiver.concurrentDuplicates).toBe(0);
    for (const email of addresses) {
      const flags = receiver.accepted().filter((d) => d.body.address === email).map((d) => d.body.unsubscribed);
      expect(flags).toEqual([true, false, true, false]);
    }
  });
});
