/**
 * A transient deadlock or serialization failure costs a retry, never an error to the client
 * (issue "The durable-unsubscribe lead store…": "a transient serialization or deadlock error
 * is retried, not returned"). Two units of work lock two addresses in opposite orders, so
 * PostgreSQL must break the deadlock; the runner retries the loser and both succeed.
 */
import { TypeOrmTransactionRunner } from "../../src/persistence/transaction-runner";
import { describeWithTool, onRealPostgres } from "../support/test-env";
import { startTestApp, type TestApp } from "../support/test-app";

describeWithTool("transaction retries", onRealPostgres(), "a PostgreSQL server at TEST_DATABASE_URL (PGlite runs transactions one at a time)", () => {
  let app: TestApp;
  beforeAll(async () => {
    app = await startTestApp();
  });
  afterAll(async () => {
    await app.stop();
  });

  it("retries the transaction PostgreSQL picked as the deadlock victim; both complete", async () => {
    const retried: string[] = [];
    const tx = new TypeOrmTransactionRunner(app.dataSource, { attempts: 5, onRetry: (_attempt, error) => retried.push(String((error as { code?: string }).code ?? error)) });
    const a = { emailHash: "deadlock-test-a", email: "a@example.com" };
    const b = { emailHash: "deadlock-test-b", email: "b@example.com" };
    let arrived = 0;
    let release: () => void = () => undefined;
    const bothHoldOne = new Promise<void>((resolve) => (release = resolve));
    const work = (first: typeof a, second: typeof a) =>
      tx.run(async (repos) => {
        await repos.writes.lockForWrite({ addresses: [first], leadIds: [], foreignIds: [] });
        if (++arrived === 2) release();
        // Only the first attempts wait for each other; a retry goes straight through.
        await Promise.race([bothHoldOne, new Promise((r) => setTimeout(r, 2000))]);
        await repos.writes.lockForWrite({ addresses: [second], leadIds: [], foreignIds: [] });
        return `${first.email} then ${second.email}`;
      });
    const results = await Promise.all([work(a, b), work(b, a)]);
    expect(results).toEqual(["a@example.com then b@example.com", "b@example.com then a@example.com"]);
    expect(retried).toEqual(["40P01"]);
  });

  it("does not retry an error that is not transient (a foreign-key violation)", async () => {
    const retried: unknown[] = [];
    const tx = new TypeOrmTransactionRunner(app.dataSource, { attempts: 5, onRetry: (_attempt, error) => retried.push(error) });
    // A history row for an address with no master row breaks the history's foreign key (23503).
    const change = { at: new Date(), unsubscribed: true, channel: "soap", reason: "r", source: "s", leadId: null };
    const outcome = {
      inserts: [],
      updates: [],
      deletes: [],
      propagations: [],
      activities: [],
      masterChanges: [{ emailHash: "no-such-hash", email: "", change, causedBy: null, propagatedTo: 0 }],
      blankAddresses: [],
      blankActivities: [],
      decided: new Map(),
      ownFlags: new Map(),
    };
    await expect(tx.run((repos) => repos.writes.apply(outcome))).rejects.toMatchObject({ driverError: { code: "23503" } });
    expect(retried).toEqual([]);
  });
});
