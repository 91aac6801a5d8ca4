/**
 * The files of one import run (cli/import.ts): the row sources read from them, each with its
 * progress bar on stderr, and the summary printed when the run is over.
 */
import { createReadStream } from "node:fs";
import path from "node:path";
import type { ImportPart, ImportSources, ImportSummary } from "../domain/import.service";
import type { FieldCatalogue } from "../domain/lead-fields";
import { CsvSyntaxError, readCsv, type CsvRecord } from "./csv";
import { addressRows, ImportFileError, leadRows, type LeadColumns } from "./import-columns";
import { duration, Progress, type ProgressOutput } from "./progress";

export interface PartFile {
  readonly part: ImportPart;
  readonly path: string;
  readonly size: number;
  bytes: number;
  bar?: Progress;
  seconds?: number;
}

/**
 * The row sources of a run's files. A file's progress bar starts with its first record and
 * finishes when the next file starts, or when the run is over.
 */
export class ImportFeed {
  readonly sources: ImportSources;
  /** The lead file's column mapping, once its header is read. */
  columns: LeadColumns | undefined;
  private current: PartFile | undefined;

  constructor(
    readonly files: readonly PartFile[],
    fields: () => FieldCatalogue,
    private readonly dryRun: boolean,
    private readonly out: ProgressOutput,
    private readonly options: { readonly delimiter?: string; readonly allowNoEmail?: boolean } = {},
  ) {
    const unsubscribesFile = this.byPart("unsubscribes");
    const leadsFile = this.byPart("leads");
    this.sources = {
      ...(unsubscribesFile ? { unsubscribes: this.named(unsubscribesFile, addressRows(this.records(unsubscribesFile))) } : {}),
      ...(leadsFile ? { leads: this.named(leadsFile, leadRows(this.records(leadsFile, this.options.delimiter), fields, (c) => (this.columns = c), { allowNoEmail: this.options.allowNoEmail })) } : {}),
    };
  }

  byPart(part: ImportPart): PartFile | undefined {
    return this.files.find((f) => f.part === part);
  }

  /** ImportOptions.onProgress: redraws the part's bar. */
  progress(part: ImportPart, rows: number): void {
    const file = this.byPart(part);
    if (file) file.bar?.update(rows, file.bytes);
  }

  /** Finishes every file's bar with the rows the summary counts for it. */
  finishAll(summary: ImportSummary): void {
    for (const file of this.files) this.finishPart(file, rowsOf(summary, file.part));
  }

  /** Finishes the bar of the file being read (the run failed). */
  finishCurrent(): void {
    this.finishPart(this.current);
  }

  private switchTo(file: PartFile): void {
    if (this.current === file) return;
    this.finishPart(this.current);
    this.current = file;
    file.bar = new Progress({ label: `${this.dryRun ? "dry run: " : ""}${file.part}`, totalBytes: file.size, out: this.out });
  }

  private finishPart(file: PartFile | undefined, rows?: number): void {
    if (!file?.bar || file.seconds !== undefined) return;
    file.bar.finish(rows);
    file.seconds = file.bar.seconds();
  }

  private async *records(file: PartFile, delimiter?: string): AsyncGenerator<CsvRecord> {
    for await (const record of readCsv(createReadStream(file.path, { highWaterMark: 64 * 1024 }), delimiter ? { delimiter } : {})) {
      this.switchTo(file);
      file.bytes = record.bytesRead;
      yield record;
    }
  }

  /** File-level errors name their file. */
  private async *named<T>(file: PartFile, rows: AsyncIterable<T>): AsyncGenerator<T> {
    try {
      yield* rows;
    } catch (error) {
      if (error instanceof CsvSyntaxError) throw new ImportFileError(`${path.basename(file.path)}: ${error.message}`);
      if (error instanceof ImportFileError) throw new ImportFileError(`${path.basename(file.path)}: ${error.message}`);
      throw error;
    }
  }
}

function rowsOf(summary: ImportSummary, part: ImportPart): number {
  return (part === "leads" ? summary.leads?.rows : summary.unsubscribes?.rows) ?? 0;
}

export function formatSummary(summary: ImportSummary, files: readonly PartFile[], columns: LeadColumns | undefined, dryRun: boolean): string {
  const n = (v: number) => v.toLocaleString("en-US");
  const out: string[] = [dryRun ? "Dry run: what the import would do (one transaction, rolled back: nothing was kept)" : "Import done"];
  const head = (file: PartFile | undefined, what: string, rows: number) => {
    const seconds = file?.seconds ?? 0;
    const rate = seconds > 0 ? ` (${n(Math.round(rows / seconds))} rows/s)` : "";
    return `${what} ${file ? path.basename(file.path) : ""}: ${n(rows)} rows in ${duration(seconds)}${rate}`;
  };
  const verb = (done: string, would: string) => (dryRun ? would : done);
  const line = (label: string, value: number, note = "") => `  ${label.padEnd(22)}${n(value).padStart(10)}${note ? `  ${note}` : ""}`;
  const u = summary.unsubscribes;
  if (u) {
    out.push(head(files.find((f) => f.part === "unsubscribes"), "Unsubscribe list", u.rows));
    out.push(line(verb("unsubscribed", "would unsubscribe"), u.unsubscribed, u.leadsUnsubscribed ? `addresses, and with them ${n(u.leadsUnsubscribed)} leads` : "addresses"));
    out.push(line("already unsubscribed", u.alreadyUnsubscribed));
    out.push(line(verb("rejected", "would reject"), u.rejected));
  }
  const l = summary.leads;
  if (l) {
    out.push(head(files.find((f) => f.part === "leads"), "Leads", l.rows));
    out.push(line(verb("created", "would create"), l.created));
    out.push(line(verb("updated", "would update"), l.updated));
    out.push(line("unchanged", l.unchanged));
    out.push(line(verb("unsubscribed", "would unsubscribe"), l.unsubscribed, "leads with Unsubscribed=true"));
    if (l.keptUnsubscribed) out.push(line("kept unsubscribed", l.keptUnsubscribed, "rows with Unsubscribed=false: an import never clears an unsubscribe"));
    if (l.otherId) out.push(line("Id not kept", l.otherId, "matched by SFDC id to a lead with another id"));
    out.push(line(verb("rejected", "would reject"), l.rejected));
  }
  if (columns?.ignored.length) out.push(`Ignored columns: ${columns.ignored.map((c) => `${c.name} (${c.why})`).join(", ")}`);
  const total = (l?.rejected ?? 0) + (u?.rejected ?? 0);
  if (total > 0) {
    const shown = summary.rejects.slice(0, 20);
    out.push(`Rejected rows${total > shown.length ? ` (first ${shown.length} of ${n(total)})` : ""}:`);
    for (const r of shown) {
      const file = files.find((f) => f.part === r.part);
      out.push(`  ${file ? path.basename(file.path) : r.part} line ${r.line}: ${r.reason}`);
    }
  }
  return out.join("\n") + "\n";
}
