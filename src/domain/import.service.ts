/**
 * The import channel (SPEC §4 Import: Reason "List import", Source "Import"): a Marketo lead
 * export and a list of unsubscribed addresses, applied through the write path of every other
 * channel (D8): a batch of lead rows is one unit of work of the write path (LeadService →
 * LeadWriteService), and so is a batch of listed addresses (unsubscribeAddress plans). Rows go in
 * batches, a transaction each, in lanes that run side by side; a row's lane follows from its
 * address, so the rows of one address apply in file order. A dry run applies everything in one
 * transaction (one lane) that is rolled back at the end (BulkTransactionRunner "rehearse"), so
 * its counts are what a real run would do, on the database as it is now.
 *
 * An import never clears an unsubscribe: Unsubscribed=false in a row is not a request, so an
 * unsubscribed lead or address stays unsubscribed, while Unsubscribed=true unsubscribes (D1).
 * Leads keep Marketo's Id, which integrations store: a re-run matches that Id first and updates
 * what the first run created. Rows with an Id never match by email, so Marketo's duplicates
 * stay separate leads; rows without one match by SFDC id, then by email.
 *
 * The address list goes first when both are given: should a run stop half way, the
 * unsubscribes are already kept, and the leads created after them start unsubscribed (D3).
 */
import { emailKey } from "./email";
import { DomainError } from "./errors";
import { batches, inLanes, isRejection, type Rejection, type Result } from "./import-lanes";
import {
  ImportStoppedError,
  type AddressCounts,
  type AddressRow,
  type FieldWarning,
  type ImportOptions,
  type ImportPart,
  type ImportServiceDeps,
  type ImportSources,
  type ImportSummary,
  type LeadCounts,
  type LeadRow,
  type RejectedRow,
} from "./import.types";
import type { NormalisedInput } from "./lead-input";
import { sameLead } from "./write-state";
import type { Repositories, TransactionRunner } from "./ports";
import { ActivityTypes, Channels, type SyncResult } from "./types";

export * from "./import.types";

interface ReadyLead {
  readonly line: number;
  readonly data: NormalisedInput;
  /** The row said Unsubscribed=false (dropped: not a request). */
  readonly saidSubscribed: boolean;
}

interface LeadOutcome {
  readonly result: SyncResult;
  readonly row: ReadyLead;
}

interface LeadChecks {
  /** Leads that have a row's Id, and whether an import created them. */
  readonly existing: Map<number, boolean>;
  /** "TYPE:foreign id" → the lead that has it. */
  readonly owners: Map<string, number>;
}

export class ImportService {
  constructor(private readonly deps: ImportServiceDeps) {}

  async run(sources: ImportSources, options: ImportOptions): Promise<ImportSummary> {
    const summary: ImportSummary = { dryRun: options.dryRun, rejects: [], warnings: [] };
    await this.deps.bulk.session(options.dryRun ? "rehearse" : "commit", async (units) => {
      if (sources.unsubscribes) await this.importAddresses(sources.unsubscribes, units, options, summary);
      if (sources.leads) await this.importLeads(sources.leads, units, options, summary);
    });
    return summary;
  }

  private async importAddresses(
    rows: AsyncIterable<AddressRow | RejectedRow>,
    units: TransactionRunner,
    options: ImportOptions,
    summary: ImportSummary,
  ): Promise<void> {
    const counts: AddressCounts = { rows: 0, unsubscribed: 0, alreadyUnsubscribed: 0, leadsUnsubscribed: 0, rejected: 0 };
    summary.unsubscribes = counts;
    const lanes = this.lanesOf(options);
    const applied = { through: 0 };
    for await (const window of windows(rows, options.batchSize * lanes, "unsubscribes", summary, applied)) {
      const results: Result<number[] | null>[] = [];
      const ready: AddressRow[] = [];
      for (const row of window) {
        if ("rejected" in row) results.push({ line: row.line, outcome: { rejected: row.rejected } });
        else ready.push(row);
      }
      const done = await inLanes<AddressRow, number[] | null>(units, ready, lanes, (row) => emailKey(row.email) ?? "", "unsubscribes", summary, async (unit, repos) => {
        const written = await this.deps.writes.runIn(repos, unit.map((row) => ({ op: "unsubscribeAddress", email: row.email, channel: Channels.import })));
        return written.map((r): number[] | null | Rejection => ("error" in r ? { rejected: r.error.message } : r.ok.unchanged ? null : [...r.ok.others]));
      });
      results.push(...done.results);
      for (const { line, outcome } of results.sort((a, b) => a.line - b.line)) {
        counts.rows++;
        if (isRejection(outcome)) this.reject(summary, counts, options, "unsubscribes", line, outcome.rejected);
        else if (outcome === null) counts.alreadyUnsubscribed++;
        else {
          counts.unsubscribed++;
          counts.leadsUnsubscribed += outcome.length;
        }
      }
      if (done.stop) throw stopAt(summary, window, results, done.stop);
      applied.through = window[window.length - 1].line;
      options.onProgress?.("unsubscribes", counts.rows);
    }
  }

  private async importLeads(rows: AsyncIterable<LeadRow | RejectedRow>, units: TransactionRunner, options: ImportOptions, summary: ImportSummary): Promise<void> {
    const counts: LeadCounts = { rows: 0, created: 0, updated: 0, unchanged: 0, unsubscribed: 0, keptUnsubscribed: 0, otherId: 0, rejected: 0, warnedRows: 0, warnings: 0 };
    summary.leads = counts;
    const lanes = this.lanesOf(options);
    const applied = { through: 0 };
    for await (const window of windows(rows, options.batchSize * lanes, "leads", summary, applied)) {
      const results: Result<LeadOutcome>[] = [];
      const ready: ReadyLead[] = [];
      const warned = new Map<number, readonly FieldWarning[]>();
      for (const row of window) {
        if ("rejected" in row) {
          results.push({ line: row.line, outcome: { rejected: row.rejected } });
          continue;
        }
        if (row.warnings?.length) warned.set(row.line, row.warnings);
        // Unsubscribed=false is not a request: an import never clears an unsubscribe (D8).
        const { unsubscribed, ...rest } = row.input;
        try {
          const data = await this.deps.leads.prepare(unsubscribed === true ? row.input : rest);
          ready.push({ line: row.line, data, saidSubscribed: unsubscribed === false });
        } catch (error) {
          if (!(error instanceof DomainError)) throw error;
          results.push({ line: row.line, outcome: { rejected: error.message } });
        }
      }
      const route = (row: ReadyLead) => emailKey(row.data.email) ?? `id:${row.data.id ?? ""}:${row.data.foreignSysPersonId ?? ""}`;
      const done = await inLanes(units, ready, lanes, route, "leads", summary, async (unit, repos) => this.applyLeads(unit, await this.leadChecks(unit, repos), repos));
      results.push(...done.results);
      for (const { line, outcome } of results.sort((a, b) => a.line - b.line)) {
        counts.rows++;
        const warnings = warned.get(line);
        if (warnings) this.warn(summary, counts, options, line, warnings);
        if (isRejection(outcome)) this.reject(summary, counts, options, "leads", line, outcome.rejected);
        else tally(counts, outcome);
      }
      if (done.stop) throw stopAt(summary, window, results, done.stop);
      applied.through = window[window.length - 1].line;
      options.onProgress?.("leads", counts.rows);
    }
  }

  /**
   * What the import's own checks need about a unit's rows, read in three queries for the whole
   * unit: the leads that already have the rows' Ids, which of them an import created, and the
   * owners of the foreign ids those rows bring.
   */
  private async leadChecks(rows: ReadyLead[], repos: Repositories): Promise<LeadChecks> {
    const ids = [...new Set(rows.flatMap((r) => (r.data.id !== undefined ? [r.data.id] : [])))];
    const existing = ids.length ? (await repos.leadPages.pageByIds(ids, 0, ids.length)).leads : [];
    const imported = new Set<number>();
    if (existing.length) {
      const created = await repos.activities.find({ leadIds: existing.map((l) => l.id), typeNames: [ActivityTypes.newLead.name], limit: existing.length });
      for (const a of created.rows) if (a.attributes.some((x) => x.name === "Source Type" && x.value === Channels.import.source)) imported.add(a.leadId);
    }
    const existingIds = new Set(existing.map((l) => l.id));
    const foreign = new Map<string, string[]>();
    for (const { data } of rows) {
      if (data.id === undefined || !existingIds.has(data.id) || !data.foreignSysPersonId) continue;
      const type = data.foreignSysType ?? "CUSTOM";
      foreign.set(type, [...(foreign.get(type) ?? []), data.foreignSysPersonId]);
    }
    const owners = new Map<string, number>();
    for (const [type, fids] of foreign) {
      for (const l of await repos.leadPages.findByForeignIds(type, fids)) owners.set(`${type}:${l.foreignSysPersonId}`, l.id);
    }
    return { existing: new Map(existing.map((l) => [l.id, imported.has(l.id)])), owners };
  }

  /** The import's two checks per row, then the rest as one batch matched as SPEC §5 syncLead does (Id > SFDC id > email). */
  private async applyLeads(rows: ReadyLead[], checks: LeadChecks, repos: Repositories): Promise<(LeadOutcome | Rejection)[]> {
    const out: (LeadOutcome | Rejection | undefined)[] = rows.map((row) => this.checkLead(row, checks));
    const go = rows.filter((_, i) => out[i] === undefined);
    const synced = await this.deps.leads.syncManyWith(repos, go.map((r) => r.data), { channel: Channels.import, dedupByEmail: true, keepGivenId: true });
    let j = 0;
    return out.map((o, i) => {
      if (o !== undefined) return o;
      const r = synced[j++];
      return "error" in r ? { rejected: r.error.message } : { result: r.ok, row: rows[i] };
    });
  }

  private checkLead(row: ReadyLead, checks: LeadChecks): Rejection | undefined {
    const { data } = row;
    const imported = data.id !== undefined ? checks.existing.get(data.id) : undefined;
    // Ids from this server's own sequence are not Marketo's: never overwrite such a lead.
    if (imported === false) {
      return { rejected: `Id ${data.id}: lead ${data.id} exists and no import created it, so this Marketo lead cannot keep its Id` };
    }
    if (imported && data.foreignSysPersonId) {
      const type = data.foreignSysType ?? "CUSTOM";
      const owner = checks.owners.get(`${type}:${data.foreignSysPersonId}`);
      if (owner !== undefined && owner !== data.id) return { rejected: `${type} id ${data.foreignSysPersonId} belongs to lead ${owner}, not to lead ${data.id}` };
    }
    return undefined;
  }

  private lanesOf(options: ImportOptions): number {
    return options.dryRun ? 1 : Math.max(1, Math.floor(options.lanes ?? 1));
  }

  private reject(summary: ImportSummary, counts: { rejected: number }, options: ImportOptions, part: ImportPart, line: number, reason: string): void {
    counts.rejected++;
    if (summary.rejects.length < (options.keepRejects ?? 100)) summary.rejects.push({ part, line, reason });
  }

  private warn(summary: ImportSummary, counts: LeadCounts, options: ImportOptions, line: number, warnings: readonly FieldWarning[]): void {
    counts.warnedRows++;
    counts.warnings += warnings.length;
    for (const w of warnings) if (summary.warnings.length < (options.keepWarnings ?? 100)) summary.warnings.push({ part: "leads", line, ...w });
  }
}

/**
 * The rows of a part in windows of `size`. An error reading the file (it changed since it was
 * checked, a disk error) stops the run there, with the summary of what was applied before.
 */
async function* windows<T extends { line: number }>(rows: AsyncIterable<T>, size: number, part: ImportPart, summary: ImportSummary, applied: { through: number }): AsyncGenerator<T[]> {
  try {
    yield* batches(rows, size);
  } catch (error) {
    if (error instanceof ImportStoppedError) throw error;
    const line = error instanceof Error && "line" in error && typeof error.line === "number" ? error.line : applied.through + 1;
    summary.stop = { part, firstNotApplied: applied.through + 1, committedAfter: [], cause: messageOf(error) };
    throw new ImportStoppedError(part, line, summary, error);
  }
}

/**
 * A window a lane stopped in: what was applied of it is counted already; the stop point says
 * which rows of it are committed (every row before the first one not applied, and the lines
 * after it that other lanes committed).
 */
function stopAt<O>(summary: ImportSummary, window: readonly { line: number }[], results: readonly Result<O>[], stop: ImportStoppedError): ImportStoppedError {
  const done = new Set(results.map((r) => r.line));
  const first = window.map((r) => r.line).find((line) => !done.has(line)) ?? stop.line;
  const committedAfter = results.filter((r) => r.line > first && !isRejection(r.outcome)).map((r) => r.line);
  summary.stop = { part: stop.part, firstNotApplied: first, committedAfter: committedAfter.sort((a, b) => a - b), cause: messageOf(stop.cause) };
  return stop;
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

function tally(counts: LeadCounts, { result, row }: LeadOutcome): void {
  const { lead, previous } = result;
  if (!previous) counts.created++;
  else if (sameLead(previous, lead)) counts.unchanged++;
  else counts.updated++;
  if (row.data.unsubscribed === true && lead.unsubscribed && !previous?.unsubscribed) counts.unsubscribed++;
  if (row.saidSubscribed && lead.unsubscribed) counts.keptUnsubscribed++;
  if (row.data.id !== undefined && result.leadId !== row.data.id) counts.otherId++;
}
