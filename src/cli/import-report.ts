/** The import command's --report file (cli/import.ts), written in every outcome. */
import { writeFile } from "node:fs/promises";
import path from "node:path";
import type { ImportStoppedError, ImportSummary } from "../domain/import.service";
import type { CliIo, ImportArgs } from "./import";
import type { LeadColumns } from "./import-columns";
import type { PartFile } from "./import-run";

/** Exit codes as cli/import.ts defines them (a report that cannot be written turns success into a failure). */
const Exit = { ok: 0, failed: 1, rejected: 3 } as const;

export interface ReportParts {
  readonly summary?: ImportSummary;
  readonly files: readonly PartFile[];
  readonly columns?: LeadColumns;
  readonly seconds?: number;
  readonly error?: string;
  readonly stopped?: ImportStoppedError;
}

/**
 * --report: written in every outcome once the arguments are read (done, rejected rows, stopped,
 * a file refused, the database unreachable): the summary with every rejected row and warning,
 * the files, the ignored columns, where it stopped and what was committed by then.
 */
export class Reporter {
  constructor(
    private readonly args: Pick<ImportArgs, "report" | "dryRun">,
    private readonly io: CliIo,
  ) {}

  refused(code: number, error: string, files: readonly PartFile[]): Promise<number> {
    return this.write(code, "refused", { files, error });
  }

  async write(code: number, outcome: string, parts: ReportParts): Promise<number> {
    if (!this.args.report) return code;
    const { summary, files, columns, stopped } = parts;
    const report = {
      outcome,
      exitCode: code,
      error: parts.error ?? null,
      dryRun: this.args.dryRun,
      nothingWritten: outcome === "refused" || this.args.dryRun,
      ...(summary ?? {}),
      files: Object.fromEntries(files.map((f) => [f.part, f.path])),
      checked: Object.fromEntries(files.filter((f) => f.checked).map((f) => [f.part, { records: f.checked?.records, seconds: f.checked?.seconds }])),
      ignoredColumns: columns?.ignored ?? [],
      seconds: parts.seconds ?? 0,
      stoppedAt: stopped ? { part: stopped.part, line: stopped.line, error: messageOf(stopped.cause) } : null,
    };
    try {
      await writeFile(path.resolve(this.io.cwd, this.args.report), JSON.stringify(report, null, 2) + "\n");
    } catch (error) {
      this.io.stderr.write(`import: cannot write the report ${this.args.report}: ${messageOf(error)}\n`);
      return code === Exit.ok || code === Exit.rejected ? Exit.failed : code;
    }
    return code;
  }
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
