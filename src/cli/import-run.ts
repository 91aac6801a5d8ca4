/**
 * The files of one import run (cli/import.ts): the row sources read from them, each with its
 * progress bar on stderr, and the summary printed when the run is over.
 */
import { createReadStream } from "node:fs";
import { stat } from "node:fs/promises";
import path from "node:path";
import type { ImportPart, ImportSources, ImportSummary } from "../domain/import.service";
import type { FieldCatalogue } from "../domain/lead-fields";
import { CsvSyntaxError, readCsv, type CsvRecord } from "./csv";
import { addressColumn, addressRows, ImportFileError, leadRows, mapLeadColumns, type LeadColumns } from "./import-columns";
import { duration, Progress, type ProgressOutput } from "./progress";

export interface PartFile {
  readonly part: ImportPart;
  readonly path: string;
  readonly size: number;
  bytes: number;
  bar?: Progress;
  seconds?: number;
  /** What the check before any write found: records (header included) and the file as it was then. */
  checked?: { readonly records: number; readonly seconds: number; readonly size: number; readonly mtimeMs: number };
}

export interface FeedOptions {
  readonly delimiter?: string;
  readonly allowNoEmail?: boolean;
  /** The --encoding label for files without a byte order mark. */
  readonly encoding?: string;
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
    private readonly fields: () => FieldCatalogue,
    private readonly dryRun: boolean,
    private readonly out: ProgressOutput,
    private readonly options: FeedOptions = {},
  ) {
    const unsubscribesFile = this.byPart("unsubscribes");
    const leadsFile = this.byPart("leads");
    this.sources = {
      ...(unsubscribesFile ? { unsubscribes: this.named(unsubscribesFile, addressRows(this.records(unsubscribesFile))) } : {}),
      ...(leadsFile ? { leads: this.named(leadsFile, leadRows(this.records(leadsFile), fields, (c) => (this.columns = c), { allowNoEmail: this.options.allowNoEmail })) } : {}),
    };
  }

  /**
   * The check before any write (issue 12): every file read to its end as the import will read
   * it, the encoding, the quotes and the header checked, without building a row. A file that
   * fails is refused with its line, and nothing is written. Costs a second read of the files
   * (measured: README, Import from Marketo).
   */
  async check(): Promise<void> {
    for (const file of this.files) {
      const started = performance.now();
      const bar = new Progress({ label: `checking ${file.part}`, totalBytes: file.size, out: this.out });
      const info = await stat(file.path);
      let records = 0;
      try {
        for await (const record of readCsv(createReadStream(file.path, { highWaterMark: 64 * 1024 }), this.csvOptions(file))) {
          if (records === 0) {
            if (file.part === "leads") mapLeadColumns(record.fields, this.fields(), { allowNoEmail: this.options.allowNoEmail });
            else addressColumn(record.fields);
          }
          records++;
          if ((records & 1023) === 0) bar.update(records, record.bytesRead);
        }
        if (records === 0 && file.part === "leads") throw new ImportFileError("the lead file is empty (no header)");
      } catch (error) {
        throw this.fileError(file, error);
      } finally {
        bar.finish(records);
      }
      file.checked = { records, seconds: (performance.now() - started) / 1000, size: info.size, mtimeMs: info.mtimeMs };
    }
  }

  /** Refuses a file that changed since check(): the rows to write are not the ones checked. */
  async unchangedSinceCheck(): Promise<void> {
    for (const file of this.files) {
      const info = await stat(file.path);
      if (file.checked && (info.size !== file.checked.size || info.mtimeMs !== file.checked.mtimeMs)) {
        throw new ImportFileError(`${path.basename(file.path)} changed while it was being checked; nothing was written: run the command again`);
      }
    }
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

  private csvOptions(file: PartFile): { delimiter?: string; encoding?: string } {
    return {
      ...(file.part === "leads" && this.options.delimiter ? { delimiter: this.options.delimiter } : {}),
      ...(this.options.encoding ? { encoding: this.options.encoding } : {}),
    };
  }

  private async *records(file: PartFile): AsyncGenerator<CsvRecord> {
    for await (const record of readCsv(createReadStream(file.path, { highWaterMark: 64 * 1024 }), this.csvOptions(file))) {
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
      throw this.fileError(file, error);
    }
  }

  /** A file's error as the user reads it: the file's name, the line, and for bytes that are not UTF-8 what to do. */
  private fileError(file: PartFile, error: unknown): unknown {
    const name = path.basename(file.path);
    if (error instanceof CsvSyntaxError) {
      const hint =
        error.kind === "encoding" && !this.options.encoding && / UTF-8/.test(error.message)
          ? ". Save the file as UTF-8 (CSV UTF-8), or pass --encoding windows-1252 (or the encoding it was saved in)"
          : "";
      return new ImportFileError(`${name}: ${error.message}${hint}`, error.line);
    }
    if (error instanceof ImportFileError) return new ImportFileError(`${name}: ${error.message}`, error.line);
    return error;
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
    if (l.warnings) out.push(line("with warnings", l.warnedRows, `leads written without ${n(l.warnings)} value${l.warnings === 1 ? "" : "s"} (or with them read differently), listed below`));
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
  const warned = l?.warnings ?? 0;
  if (warned > 0) {
    const shown = summary.warnings.slice(0, 20);
    out.push(`Warnings${warned > shown.length ? ` (first ${shown.length} of ${n(warned)})` : ""}:`);
    const file = files.find((f) => f.part === "leads");
    for (const w of shown) out.push(`  ${file ? path.basename(file.path) : w.part} line ${w.line}, ${w.column} '${w.value}': ${w.reason}`);
  }
  return out.join("\n") + "\n";
}
