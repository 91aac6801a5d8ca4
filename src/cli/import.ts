/**
 * The import command: `npm run import -- --leads <export.csv> --unsubscribes <list>`.
 * Reads a Marketo lead export and a list of unsubscribed addresses and applies them through the
 * import channel (domain/import.service.ts) on the database the server uses (DATABASE_URL, else
 * the embedded one under DATA_DIR, which the server must not hold open meanwhile).
 */
import { generatedSecretLines } from "../secrets-report";
import { stat } from "node:fs/promises";
import path from "node:path";
import { ConfigError, loadConfig } from "../config";
import { openDatabase, type Database } from "../database";
import { ImportService, ImportStoppedError, type ImportSummary } from "../domain/import.service";
import { createLogger } from "../logger";
import { TypeOrmBulkTransactionRunner } from "../persistence/bulk-transaction-runner";
import { canonicalEncoding } from "./decode";
import { ImportFileError } from "./import-columns";
import { Reporter } from "./import-report";
import { formatSummary, ImportFeed, type PartFile } from "./import-run";
import type { ProgressOutput } from "./progress";

export { formatSummary };

export const USAGE = `Usage: npm run import -- [--leads <export.csv>] [--unsubscribes <list>] [options]

Imports a Marketo lead export and a list of unsubscribed addresses into mktows, through the
same durable-unsubscribe rules as every other channel (activity Reason "List import", Source
"Import"). An import never clears an unsubscribe, and running it again is safe.

  --leads <file.csv>        Marketo lead export (CSV with a header: Id, Email Address, First Name,
                            SFDC Contact ID, Unsubscribed, …). Marketo's Id becomes the lead's id.
  --unsubscribes <file>     unsubscribed addresses: one per line, or a CSV with an Email column.
                            Each is unsubscribed, whether or not a lead has it.
  --dry-run                 apply everything in one transaction and roll it back: reports what
                            would be created, updated, unsubscribed and rejected; keeps nothing.
  --batch <n>               rows per transaction (default 1000, 1-10000).
  --workers <n>             transactions side by side on PostgreSQL (default 4, 1-16); the rows
                            of one address always go to the same one, in file order.
  --report <file.json>      also write the summary, with every rejected row, as JSON.
  --delimiter <c>           the lead file's field separator: one character, or 'tab' (default ',').
  --encoding <name>         the files' encoding when they have no byte order mark (default UTF-8;
                            e.g. windows-1252, iso-8859-15, utf-16le). A mark (UTF-8, UTF-16,
                            UTF-32) is always followed. Bytes invalid in it refuse the file.
  --allow-no-email          import a lead file whose header has no Email column (its leads are
                            created without an address, so no unsubscribe can reach them).
  -h, --help                this text.

Database: DATABASE_URL (PostgreSQL), else the embedded database under DATA_DIR (stop the server
first: one process at a time). EMAIL_HASH_KEY as for the server.

Every file is read whole (encoding, quotes, header) before the first write: a file that fails
that check is refused, with its line, and nothing is written.

Exit codes: 0 done; 3 done, but some rows were rejected; 1 a file refused (nothing written) or
stopped by an error (what was committed is in the summary: run the same command again to
finish); 2 bad arguments or configuration. --report is written in every one of these outcomes.
`;

export const ExitCode = { ok: 0, failed: 1, usage: 2, rejected: 3 } as const;

export interface ImportArgs {
  readonly leads?: string;
  readonly unsubscribes?: string;
  readonly dryRun: boolean;
  readonly batch: number;
  readonly workers: number;
  readonly report?: string;
  /** The lead file's field separator (default ","). */
  readonly delimiter: string;
  /** Import a lead file whose header has no Email column. */
  readonly allowNoEmail: boolean;
  /** The files' encoding when they have no byte order mark (a canonical name; default UTF-8). */
  readonly encoding?: string;
  readonly help: boolean;
}

export class UsageError extends Error {}

export function parseArgs(argv: readonly string[]): ImportArgs {
  const out: { -readonly [K in keyof ImportArgs]: ImportArgs[K] } = { dryRun: false, batch: 1000, workers: 4, help: false, delimiter: ",", allowNoEmail: false };
  for (let i = 0; i < argv.length; i++) {
    const [flag, inline] = argv[i].startsWith("--") && argv[i].includes("=") ? [argv[i].slice(0, argv[i].indexOf("=")), argv[i].slice(argv[i].indexOf("=") + 1)] : [argv[i], undefined];
    const value = (): string => {
      const v = inline ?? argv[++i];
      if (v === undefined || v === "" || (inline === undefined && v.startsWith("--"))) throw new UsageError(`${flag} needs a value`);
      return v;
    };
    /** A switch: `--flag`, or `--flag=true|false` (anything else is a usage error, never a silent true). */
    const toggle = (): boolean => {
      if (inline === undefined) return true;
      if (/^(true|yes|1)$/i.test(inline)) return true;
      if (/^(false|no|0)$/i.test(inline)) return false;
      throw new UsageError(`${flag} takes no value, or =true / =false, not '${inline}'`);
    };
    switch (flag) {
      case "--leads":
        out.leads = value();
        break;
      case "--unsubscribes":
        out.unsubscribes = value();
        break;
      case "--dry-run":
        out.dryRun = toggle();
        break;
      case "--allow-no-email":
        out.allowNoEmail = toggle();
        break;
      case "--delimiter": {
        const v = value();
        const d = v === "tab" || v === "\\t" ? "\t" : v;
        if ([...d].length !== 1 || d === '"' || d === "\n" || d === "\r") throw new UsageError(`--delimiter must be one character (or 'tab'), not '${v}'`);
        out.delimiter = d;
        break;
      }
      case "--encoding": {
        const v = value();
        const canonical = canonicalEncoding(v);
        if (!canonical) throw new UsageError(`--encoding: '${v}' is not an encoding this command knows (e.g. utf-8, windows-1252, iso-8859-15, utf-16le)`);
        out.encoding = canonical;
        break;
      }
      case "--batch": {
        const v = value();
        const n = Number(v);
        if (!Number.isInteger(n) || n < 1 || n > 10000) throw new UsageError(`--batch must be a whole number from 1 to 10000, not '${v}'`);
        out.batch = n;
        break;
      }
      case "--workers": {
        const v = value();
        const n = Number(v);
        if (!Number.isInteger(n) || n < 1 || n > 16) throw new UsageError(`--workers must be a whole number from 1 to 16, not '${v}'`);
        out.workers = n;
        break;
      }
      case "--report":
        out.report = value();
        break;
      case "-h":
      case "--help":
        out.help = toggle();
        break;
      default:
        throw new UsageError(`unknown argument '${argv[i]}'`);
    }
  }
  if (!out.help && !out.leads && !out.unsubscribes) throw new UsageError("give --leads, --unsubscribes or both");
  return out;
}

export interface CliIo {
  readonly env: NodeJS.ProcessEnv;
  readonly cwd: string;
  readonly stdout: { write(text: string): unknown };
  /** Progress and errors. A TTY gets the redrawn bar. */
  readonly stderr: ProgressOutput;
}

/** Runs the command; returns the exit code. */
export async function runImportCli(argv: readonly string[], io: CliIo): Promise<number> {
  let args: ImportArgs;
  try {
    args = parseArgs(argv);
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    io.stderr.write(`import: ${error.message}\n\n${USAGE}`);
    return ExitCode.usage;
  }
  if (args.help) {
    io.stdout.write(USAGE);
    return ExitCode.ok;
  }
  const reporter = new Reporter(args, io);
  const files = await resolveFiles(args, io);
  if (typeof files === "number") return reporter.refused(files, "a file to import is not a readable file", []);
  const db = await openImportDatabase(args, io);
  if (typeof db === "number") return reporter.refused(db, "the database could not be opened", files);
  return importInto(db, files, args, io, reporter);
}

/** The files to import, unsubscribe list first; or the exit code when one is not a readable file. */
async function resolveFiles(args: ImportArgs, io: CliIo): Promise<PartFile[] | number> {
  const files: PartFile[] = [];
  for (const [part, file] of [
    ["unsubscribes", args.unsubscribes],
    ["leads", args.leads],
  ] as const) {
    if (!file) continue;
    const full = path.resolve(io.cwd, file);
    const info = await stat(full).catch(() => undefined);
    if (!info?.isFile()) {
      io.stderr.write(`import: ${file} is not a readable file\n`);
      return ExitCode.usage;
    }
    files.push({ part, path: full, size: info.size, bytes: 0 });
  }
  return files;
}

/** The server's database, as its configuration names it; or the exit code when it cannot be opened. */
async function openImportDatabase(args: ImportArgs, io: CliIo): Promise<Database | number> {
  let config;
  try {
    config = loadConfig(io.env, io.cwd);
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    io.stderr.write(`import: configuration error: ${error.message}\n`);
    return ExitCode.usage;
  }
  const logger = createLogger(config.logLevel === "debug" ? "debug" : "warn", (line) => io.stderr.write(line + "\n"));
  try {
    return await openDatabase(config, logger, { poolSize: args.workers + 1 });
  } catch (error) {
    io.stderr.write(`import: cannot open the database: ${messageOf(error)}\n`);
    return ExitCode.failed;
  }
}

/**
 * Checks the files, imports them into the open database, writes the summary (and the report, in
 * every outcome), and closes the database. Nothing is written before every file has passed the
 * check (encoding, quotes, header).
 */
async function importInto(db: Database, files: PartFile[], args: ImportArgs, io: CliIo, reporter: Reporter): Promise<number> {
  const started = performance.now();
  const feed = new ImportFeed(files, db.fields, args.dryRun, io.stderr, { delimiter: args.delimiter, allowNoEmail: args.allowNoEmail, encoding: args.encoding });
  const seconds = () => (performance.now() - started) / 1000;
  try {
    noticeGeneratedSecrets(db, io);
    try {
      await feed.check();
      await feed.unchangedSinceCheck();
    } catch (error) {
      if (!(error instanceof ImportFileError)) throw error;
      io.stderr.write(`import: ${error.message}\nNothing was written: the files are checked whole before the first write.\n`);
      return await reporter.refused(ExitCode.failed, error.message, files);
    }
    const { summary, stopped } = await runService(db, feed, args);
    feed.finishAll(summary);
    io.stdout.write(formatSummary(summary, files, feed.columns, args.dryRun));
    if (stopped) {
      io.stderr.write(stopText(summary, stopped, args.dryRun));
      return await reporter.write(ExitCode.failed, "stopped", { summary, files, columns: feed.columns, seconds: seconds(), error: messageOf(stopped.cause), stopped });
    }
    const rejected = (summary.leads?.rejected ?? 0) + (summary.unsubscribes?.rejected ?? 0);
    const code = rejected > 0 ? ExitCode.rejected : ExitCode.ok;
    return await reporter.write(code, rejected > 0 ? "done, some rows rejected" : "done", { summary, files, columns: feed.columns, seconds: seconds() });
  } catch (error) {
    feed.finishCurrent();
    io.stderr.write(`import: failed: ${messageOf(error)}\n`);
    if (!args.dryRun) io.stderr.write("Batches before the error may be committed; run the same command again (re-runs are safe).\n");
    return await reporter.write(ExitCode.failed, "failed", { files, columns: feed.columns, seconds: seconds(), error: messageOf(error) });
  } finally {
    await db.close();
  }
}

/** What a stopped run kept, in the words of its stop point. */
export function stopText(summary: ImportSummary, stopped: ImportStoppedError, dryRun: boolean): string {
  const n = (v: number) => v.toLocaleString("en-US");
  const out = [`import: stopped at ${stopped.part} line ${n(stopped.line)}: ${messageOf(stopped.cause)}`];
  if (dryRun) out.push("Dry run: nothing was kept.");
  else {
    const stop = summary.stop;
    const after = stop?.committedAfter.length ? `, and ${n(stop.committedAfter.length)} rows after it (other transactions of the same batch; --report lists their lines)` : "";
    if (stop) out.push(`Committed: every ${stop.part} row before line ${n(stop.firstNotApplied)}${after}. The counts above are what was committed.`);
    out.push("Fix the cause and run the same command again (re-runs are safe).");
  }
  return out.join("\n") + "\n";
}

/** Runs the import service on the feed's sources; an import that stopped still has its summary. */
async function runService(db: Database, feed: ImportFeed, args: ImportArgs): Promise<{ summary: ImportSummary; stopped?: ImportStoppedError }> {
  const service = new ImportService({ leads: db.leads, writes: db.writes, bulk: new TypeOrmBulkTransactionRunner(db.dataSource, db.tx) });
  try {
    const summary = await service.run(feed.sources, {
      dryRun: args.dryRun,
      batchSize: args.batch,
      // The embedded database runs one transaction at a time anyway.
      lanes: db.kind === "embedded" ? 1 : args.workers,
      keepRejects: args.report ? Number.MAX_SAFE_INTEGER : 20,
      keepWarnings: args.report ? Number.MAX_SAFE_INTEGER : 20,
      onProgress: (part, rows) => feed.progress(part, rows),
    });
    return { summary };
  } catch (error) {
    if (!(error instanceof ImportStoppedError)) throw error;
    return { summary: error.summary, stopped: error };
  }
}

function noticeGeneratedSecrets(db: Database, io: CliIo): void {
  // This run created the database's secrets: the server will not print them again.
  const lines = generatedSecretLines(db.secrets);
  if (lines.length > 0) io.stderr.write(lines.join("\n") + "\n");
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

if (require.main === module) {
  process.on("SIGINT", () => {
    process.stderr.write("\nimport: interrupted. Batches already committed are kept; run the same command again to finish (re-runs are safe).\n");
    process.exit(130);
  });
  runImportCli(process.argv.slice(2), { env: process.env, cwd: process.cwd(), stdout: process.stdout, stderr: process.stderr }).then(
    (code) => process.exit(code),
    (error: unknown) => {
      process.stderr.write(`import: failed: ${messageOf(error)}\n`);
      process.exit(ExitCode.failed);
    },
  );
}