/**
 * Start-up and instance secrets (SPEC §1, §6): a process whose EMAIL_HASH_KEY does not match
 * the database's check value refuses to start and changes nothing; secrets not given in the
 * environment are generated once and shared by every process on the database, including two
 * processes that start together on a fresh database (migrations under the advisory lock).
 */
import { randomBytes } from "node:crypto";
import { Client } from "pg";
import { startApplication, type Application } from "../../src/app";
import { loadConfig } from "../../src/config";
import { silentLogger } from "../../src/logger";
import { HashKeyMismatchError } from "../../src/persistence/instance-secrets";
import { EmbeddedStartError, startEmbeddedApp, type EmbeddedApp } from "../support/embedded-app";
import type { Queryable } from "../support/invariant";
import { envelope, signedHeader, startTestApp, TEST_ADMIN_TOKEN, TEST_EMAIL_HASH_KEY, TEST_ENCRYPTION_KEY, TEST_USER_ID, type TestApp } from "../support/test-app";
import { onRealPostgres, testDatabaseUrl } from "../support/test-env";

const SECRET_NAMES = ["email_hash_key", "mktows_user_id", "mktows_encryption_key", "admin_token"] as const;

function withDatabase(url: string, database: string): string {
  const u = new URL(url);
  u.pathname = `/${database}`;
  return u.toString();
}

async function adminSql(sql: string): Promise<void> {
  const client = new Client({ connectionString: withDatabase(testDatabaseUrl(), "postgres") });
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}

/** Everything a refused start could have touched. */
async function snapshot(db: Queryable): Promise<unknown> {
  return {
    secrets: await db.query(`SELECT name, value FROM instance_secret ORDER BY name`),
    migrations: await db.query(`SELECT name FROM migrations ORDER BY id`),
    leads: await db.query(`SELECT id, email_hash, unsubscribed FROM lead ORDER BY id`),
    statuses: await db.query(`SELECT email_hash, unsubscribed FROM email_status ORDER BY email_hash`),
  };
}

async function soapTo(url: string, body: string, header = signedHeader()): Promise<{ status: number; body: string }> {
  const res = await fetch(`${url}/soap/mktows/2_2`, { method: "POST", headers: { "content-type": "text/xml; charset=utf-8" }, body: envelope(body, header) });
  return { status: res.status, body: await res.text() };
}

const unsubscribeXml = (email: string) =>
  `<ns1:paramsSyncLead><leadRecord><Email>${email}</Email><leadAttributeList><attribute><attrName>Unsubscribed</attrName><attrValue>true</attrValue></attribute></leadAttributeList></leadRecord></ns1:paramsSyncLead>`;
const getLeadXml = (email: string) => `<ns1:paramsGetLead><leadKey><keyType>EMAIL</keyType><keyValue>${email}</keyValue></leadKey></ns1:paramsGetLead>`;

describe("a different EMAIL_HASH_KEY refuses to start (the tests' database)", () => {
  let app: TestApp;
  beforeAll(async () => {
    app = await startTestApp();
  });
  afterAll(async () => {
    await app?.stop();
  });

  it("throws HashKeyMismatchError, changes nothing, and the original key still finds the unsubscribe", async () => {
    // The tests' apps take the key from the environment; a stored key could only be a leftover.
    await app.dataSource.query(`DELETE FROM instance_secret WHERE name = 'email_hash_key'`);
    const created = await soapTo(app.url, unsubscribeXml("keycheck@example.com"));
    expect(created.status).toBe(200);
    const before = await snapshot(app.dataSource);

    const wrongKey = loadConfig(
      { DATABASE_URL: testDatabaseUrl(), PORT: "0", HOST: "127.0.0.1", MKTOWS_USER_ID: TEST_USER_ID, MKTOWS_ENCRYPTION_KEY: TEST_ENCRYPTION_KEY, ADMIN_TOKEN: TEST_ADMIN_TOKEN, EMAIL_HASH_KEY: `${TEST_EMAIL_HASH_KEY}-not-it`, DB_POOL_SIZE: "2" },
      "/nonexistent",
    );
    let started: Application | undefined;
    const error = await startApplication(wrongKey, silentLogger).then(
      (a) => {
        started = a;
        return undefined;
      },
      (e: unknown) => e,
    );
    await started?.stop();
    expect(error).toBeInstanceOf(HashKeyMismatchError);
    expect((error as Error).message).toMatch(/EMAIL_HASH_KEY does not match/);
    expect((error as Error).message).not.toContain(TEST_EMAIL_HASH_KEY);
    expect(await snapshot(app.dataSource)).toEqual(before);

    // Without EMAIL_HASH_KEY on a database whose key came from the environment: the key it would
    // generate does not match either, and the refused start leaves nothing behind.
    const withoutKey = {
      DATABASE_URL: testDatabaseUrl(),
      PORT: "0",
      HOST: "127.0.0.1",
      MKTOWS_USER_ID: TEST_USER_ID,
      MKTOWS_ENCRYPTION_KEY: TEST_ENCRYPTION_KEY,
      ADMIN_TOKEN: TEST_ADMIN_TOKEN,
      DB_POOL_SIZE: "2",
    };
    const noKeyError = await startApplication(loadConfig(withoutKey, "/nonexistent"), silentLogger).then(
      async (a) => {
        await a.stop();
        return undefined;
      },
      (e: unknown) => e,
    );
    expect(noKeyError).toBeInstanceOf(HashKeyMismatchError);
    expect(await snapshot(app.dataSource)).toEqual(before);

    // The running app (the right key) still sees the address as unsubscribed.
    const found = await soapTo(app.url, getLeadXml("KEYCHECK@example.com"));
    expect(found.body).toMatch(/<attrName>Unsubscribed<\/attrName><attrType>boolean<\/attrType><attrValue>1<\/attrValue>/);
  });
});

describe("instance secrets on the embedded default database (no DATABASE_URL)", () => {
  let app: EmbeddedApp | undefined;
  let dir: string | undefined;
  afterAll(async () => {
    await app?.stop();
  });

  it("generates secrets once, keeps them across restarts, and refuses a different EMAIL_HASH_KEY without changing anything", async () => {
    app = await startEmbeddedApp({});
    dir = app.dir;
    const first = app.secrets;
    expect(first.emailHashKey).toMatch(/^[0-9a-f]{64}$/);
    expect(first.mktowsUserId).toMatch(/^mktows1_[0-9A-F]{22}$/);
    const header = () => signedHeader({ userId: first.mktowsUserId, key: first.mktowsEncryptionKey });
    expect((await soapTo(app.url, unsubscribeXml("embedded-key@example.com"), header())).status).toBe(200);

    // A second process on the same DATA_DIR is refused while the first runs.
    await expect(startEmbeddedApp({}, { dir })).rejects.toThrow(/DataDirInUseError/);

    const before = await snapshot(app);
    await app.stop({ keepDir: true });
    app = undefined;

    const refused = await startEmbeddedApp({ EMAIL_HASH_KEY: "some-other-hash-key-0123" }, { dir }).then(
      async (a) => {
        await a.stop({ keepDir: true });
        return undefined;
      },
      (e: unknown) => e,
    );
    expect(refused).toBeInstanceOf(EmbeddedStartError);
    expect((refused as EmbeddedStartError).errorName).toBe("HashKeyMismatchError");

    app = await startEmbeddedApp({}, { dir });
    expect(app.secrets).toEqual(first);
    expect(await snapshot(app)).toEqual(before);
    const found = await soapTo(app.url, getLeadXml("embedded-key@example.com"), header());
    expect(found.body).toMatch(/<attrValue>1<\/attrValue>/);
  });
});

const onPostgres = onRealPostgres();
if (!onPostgres) {
  process.stderr.write(
    "SKIPPED startup.spec 'two processes on a fresh database': needs a PostgreSQL server (TEST_DATABASE_URL); the embedded database belongs to one process (its DATA_DIR lock, tested above)\n",
  );
}
(onPostgres ? describe : describe.skip)("two processes starting together on a fresh PostgreSQL database", () => {
  const database = `mk_h5_fresh_${randomBytes(4).toString("hex")}`;
  const apps: Application[] = [];
  let created = false;
  afterAll(async () => {
    await Promise.all(apps.map((a) => a.stop()));
    if (created) await adminSql(`DROP DATABASE IF EXISTS ${database} WITH (FORCE)`);
  });

  it("both come up, migrations run once, and they agree on the generated secrets", async () => {
    await adminSql(`CREATE DATABASE ${database}`);
    created = true;
    const config = loadConfig({ DATABASE_URL: withDatabase(testDatabaseUrl(), database), PORT: "0", HOST: "127.0.0.1", DB_POOL_SIZE: "4" }, "/nonexistent");
    expect(config.emailHashKey ?? config.mktowsUserId ?? config.adminToken).toBeUndefined();
    const started = await Promise.allSettled([startApplication(config, silentLogger), startApplication(config, silentLogger)]);
    for (const s of started) if (s.status === "fulfilled") apps.push(s.value);
    expect(started.map((s) => (s.status === "rejected" ? String(s.reason) : "ok"))).toEqual(["ok", "ok"]);
    const [a, b] = apps;

    expect(a.secrets.emailHashKey).toBe(b.secrets.emailHashKey);
    expect(a.secrets.mktowsUserId).toBe(b.secrets.mktowsUserId);
    expect(a.secrets.mktowsEncryptionKey).toBe(b.secrets.mktowsEncryptionKey);
    expect(a.secrets.adminToken).toBe(b.secrets.adminToken);
    // Each secret was generated by exactly one of the two.
    for (const name of SECRET_NAMES) expect([a, b].filter((x) => x.secrets.generated.includes(name)).length).toBe(1);

    const migrations = (await a.dataSource.query(`SELECT name, count(*)::int AS n FROM migrations GROUP BY name`)) as { n: number }[];
    expect(migrations.length).toBe(a.dataSource.migrations.length);
    expect(migrations.every((m) => m.n === 1)).toBe(true);
    const stored = (await a.dataSource.query(`SELECT name FROM instance_secret ORDER BY name`)) as { name: string }[];
    expect(stored.map((r) => r.name)).toEqual([...SECRET_NAMES, "email_hash_key_check", "unsubscribe_link_key"].sort());

    // One process writes with the generated credentials; the other finds it by email.
    const header = () => signedHeader({ userId: a.secrets.mktowsUserId, key: a.secrets.mktowsEncryptionKey });
    expect((await soapTo(a.url, unsubscribeXml("fresh@example.com"), header())).status).toBe(200);
    const found = await soapTo(b.url, getLeadXml("Fresh@Example.com"), header());
    expect(found.status).toBe(200);
    expect(found.body).toMatch(/<attrValue>1<\/attrValue>/);
    const status = await fetch(`${b.url}/admin/api/email-status/fresh@example.com`, { headers: { authorization: `Bearer ${b.secrets.adminToken}` } });
    expect(((await status.json()) as { unsubscribed: boolean }).unsubscribed).toBe(true);
  });
});
