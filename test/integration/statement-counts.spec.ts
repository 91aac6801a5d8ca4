/**
 * The one write path's cost in statements (issue "One write path for one lead or a thousand"):
 * every statement that reaches the database server during a SOAP call is counted at the driver
 * (pg's Client.query, under TypeORM), BEGIN and COMMIT included. Counts are exact, not noisy:
 * a change that adds a round trip to a write fails here.
 */
import { Client } from "pg";
import { LeadDriver, type LeadSpec } from "../support/lead-driver";
import type { TestApp } from "../support/test-app";
import { useTestApp } from "../support/use-test-app";

/** Runs `work` and returns what it returned and the statements sent meanwhile (their first words). */
async function counted<T>(work: () => Promise<T>): Promise<{ result: T; statements: string[] }> {
  const statements: string[] = [];
  const proto = Client.prototype as unknown as { query: (...args: unknown[]) => unknown };
  const original = proto.query;
  proto.query = function (this: unknown, ...args: unknown[]) {
    const q = args[0];
    const text = typeof q === "string" ? q : String((q as { text?: string })?.text ?? "");
    statements.push(text.replace(/\s+/g, " ").trim().slice(0, 60));
    return original.apply(this, args);
  };
  try {
    return { result: await work(), statements };
  } finally {
    proto.query = original;
  }
}

describe("statements per write (counted at the driver, PostgreSQL or the embedded one)", () => {
  let app: TestApp;
  let leads: LeadDriver;
  useTestApp((started, driver) => {
    app = started;
    leads = driver;
  });

  beforeEach(async () => {
    // Warm: the SOAP client, the default partition's id.
    await leads.syncLead({ email: "warm@example.com" });
  });

  it("syncLead creating a lead: 5 statements, BEGIN and COMMIT included", async () => {
    const { result, statements } = await counted(() => leads.syncLead({ email: "new@example.com", fields: { FirstName: "New" } }));
    expect(result.status).toBe("CREATED");
    expect(statements).toHaveLength(5);
    expect(statements[0]).toMatch(/^START TRANSACTION|^BEGIN/);
    expect(statements[statements.length - 1]).toBe("COMMIT");
  });

  it("syncLead creating an unsubscribed lead (D1 on a new address): 7 statements", async () => {
    const { result, statements } = await counted(() => leads.syncLead({ email: "new-unsub@example.com", unsubscribed: true }));
    expect(result.status).toBe("CREATED");
    expect(statements).toHaveLength(7);
  });

  it("D5 + D1: syncLead changing Email and Unsubscribed, with duplicates on both addresses: 8 statements", async () => {
    const [a1] = await leads.createDuplicates([{ email: "a@example.com" }, { email: "a@example.com" }, { email: "b@example.com" }, { email: "b@example.com" }]);
    const { result, statements } = await counted(() => leads.syncLead({ id: a1, email: "b@example.com", unsubscribed: true }));
    expect(result.status).toBe("UPDATED");
    expect(statements.length).toBeLessThanOrEqual(9);
    expect(statements).toHaveLength(8);
    // The change and its fan-out happened: both of b's other leads follow, a's other lead does not.
    const b = await leads.getLeadsByEmail("b@example.com");
    expect(b.map((l) => l.attributes.Unsubscribed)).toEqual(["1", "1", "1"]);
    expect((await leads.getLeadsByEmail("a@example.com")).map((l) => l.attributes.Unsubscribed)).toEqual(["0"]);
  });

  /** Creates, updates of those, repeated keys, unsubscribes: `n` records over n/3 addresses. */
  const mixed = (n: number, tag: string): LeadSpec[] =>
    Array.from({ length: n }, (_, i) => ({
      email: `${tag}-${i % Math.ceil(n / 3)}@example.com`,
      ...(i % 7 === 3 ? { unsubscribed: true } : {}),
      fields: { FirstName: `F${i}` },
    }));

  it("D8: a syncMultipleLeads batch costs the same statements for 30 records as for 300, at most 20", async () => {
    await leads.syncMultipleLeads(mixed(300, "pre").slice(0, 50), true);
    const small = await counted(() => leads.syncMultipleLeads(mixed(30, "small"), true));
    const big = await counted(() => leads.syncMultipleLeads(mixed(300, "big"), true));
    expect(big.result.map((s) => s.status)).toContain("UPDATED");
    expect(big.result.map((s) => s.status)).toContain("CREATED");
    expect(big.statements.length).toBeLessThanOrEqual(20);
    expect(big.statements).toEqual(small.statements);
    const counts = await app.dataSource.query(`SELECT count(*)::int AS n FROM lead WHERE email LIKE 'big-%'`);
    expect(counts[0].n).toBe(100);
  });
});
