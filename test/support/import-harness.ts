/**
 * The import command (runImportCli, in-process) on the tests' database, with files written into
 * a temporary folder, and the readings the import tests share: a figure of the summary, table
 * counts, getLead by a key type.
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { runImportCli } from "../../src/cli/import";
import { assertInvariant } from "./invariant";
import { LeadDriver } from "./lead-driver";
import { startTestApp, TEST_ADMIN_TOKEN, TEST_EMAIL_HASH_KEY, TEST_ENCRYPTION_KEY, TEST_USER_ID, type TestApp } from "./test-app";
import { onRealPostgres, testDatabaseUrl } from "./test-env";

export const Import = { reason: "List import", source: "Import" } as const;

export interface RunResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

export class ImportHarness {
  readonly dir = mkdtempSync(path.join(tmpdir(), "mktows-import-"));

  constructor(private readonly app: TestApp) {}

  cleanUp(): void {
    rmSync(this.dir, { recursive: true, force: true });
  }

  /** A text file, lines ended with CRLF, as UTF-8. */
  file(name: string, lines: string[]): string {
    return this.bytes(name, Buffer.from(lines.join("\r\n") + "\r\n"));
  }

  bytes(name: string, content: Buffer): string {
    const full = path.join(this.dir, name);
    writeFileSync(full, content);
    return full;
  }

  /** The command with the test database's settings; small batches (and lanes on PostgreSQL) unless `options` says otherwise. */
  async run(args: string[], options: { batch?: number } = {}): Promise<RunResult> {
    let stdout = "";
    let stderr = "";
    const env = {
      DATABASE_URL: testDatabaseUrl(),
      EMAIL_HASH_KEY: TEST_EMAIL_HASH_KEY,
      MKTOWS_USER_ID: TEST_USER_ID,
      MKTOWS_ENCRYPTION_KEY: TEST_ENCRYPTION_KEY,
      ADMIN_TOKEN: TEST_ADMIN_TOKEN,
    };
    const batch = String(options.batch ?? 2);
    const workers = onRealPostgres() ? ["--workers", "3", "--batch", batch] : ["--workers", "1", "--batch", batch];
    const code = await runImportCli([...args, ...workers], {
      env,
      cwd: this.dir,
      stdout: { write: (t: string) => (stdout += t) },
      stderr: { write: (t: string) => (stderr += t), isTTY: false },
    });
    // The embedded server counts a closed connection until it has seen it go: give the command's
    // two a moment, or the next command's would be refused (it takes 4 in all).
    if (!onRealPostgres()) await new Promise((resolve) => setTimeout(resolve, 300));
    return { code, stdout, stderr };
  }

  async count(table: string): Promise<number> {
    return Number(((await this.app.dataSource.query(`SELECT count(*) AS n FROM ${table}`)) as { n: string }[])[0].n);
  }

  async counts(): Promise<{ leads: number; activities: number; statuses: number; history: number }> {
    return { leads: await this.count("lead"), activities: await this.count("activity"), statuses: await this.count("email_status"), history: await this.count("email_status_history") };
  }

  /** getLead by a key type: the ids found (a fault's code as a string). */
  async soapByKey(keyType: string, keyValue: string): Promise<number[] | string> {
    const client = await this.app.soapClient();
    try {
      const [out] = (await client.getLeadAsync({ leadKey: { keyType, keyValue } })) as [{ result: { leadRecordList: { leadRecord: { Id: number } | { Id: number }[] } } }];
      const records = out.result.leadRecordList.leadRecord;
      return (Array.isArray(records) ? records : [records]).map((r) => Number(r.Id));
    } catch (error) {
      const code = /\b(20\d{3})\b/.exec(String((error as { body?: string }).body ?? error));
      if (code) return code[1];
      throw error;
    }
  }
}

/** A figure of the summary; `part` picks the section ("Leads" or "Unsubscribe list") when both are there. */
export function summaryLine(stdout: string, label: string, part?: string): number {
  const text = part ? stdout.slice(stdout.search(new RegExp(`^${part} `, "m"))) : stdout;
  const m = new RegExp(`^\\s+${label}\\s+([\\d,]+)`, "m").exec(text);
  if (!m) throw new Error(`no '${label}' line in:\n${stdout}`);
  return Number(m[1].replace(/,/g, ""));
}

/**
 * The import tests' setup: one app (on the embedded database with 2 connections, so that the
 * command gets the other 2), a fresh database before each test, the invariant of SPEC §2
 * checked after each. `use` receives the app, its lead driver and the harness.
 */
export function useImportApp(use: (app: TestApp, leads: LeadDriver, harness: ImportHarness) => void): void {
  let app: TestApp;
  let harness: ImportHarness;
  beforeAll(async () => {
    app = await startTestApp(onRealPostgres() ? {} : { DB_POOL_SIZE: "2" });
    harness = new ImportHarness(app);
    use(app, new LeadDriver(app), harness);
  });
  afterAll(async () => {
    await app.stop();
    harness.cleanUp();
  });
  beforeEach(async () => {
    await app.reset();
  });
  afterEach(async () => {
    await assertInvariant(app.dataSource);
  });
}
