/**
 * The files of an import, in the domain's words. A Marketo lead export names its columns by the
 * fields' labels ("Email Address", "Company Name", "Job Title"); exports made through the APIs
 * use the SOAP attrNames ("Email", "Company", "Title"). Both are accepted, ignoring case, spaces
 * and punctuation, and so are declared custom fields by name or display name. Marketo's own
 * columns: "Id" (the Marketo lead id, kept), "SFDC Contact ID" / "SFDC Lead ID" / "SFDC Id"
 * (the Salesforce id, kept as the lead's SFDC foreign id: the one SFDC Type names, else in that
 * order of preference), "SFDC Type" (Lead or Contact, kept: getLead by SFDCLEADID and
 * SFDCCONTACTID tell them apart), "Created At" / "Updated At" (kept as the lead's own times when
 * the import creates it). Other columns are reported once and ignored. An empty cell means "not
 * given": it clears nothing.
 *
 * A row is refused only when its lead cannot be written: no usable key (Id, SFDC id or address),
 * a key that is not valid (an Id that is not a number, an unknown ForeignSysType), or an
 * Unsubscribed that is neither true nor false (guessing either way could send mail to someone who
 * opted out, or lose the opt-out). Any other bad value (a number that is not one, a control
 * character, an address that is not one in a row that has an Id) is left out of the lead with a
 * warning naming the line, the column and the value.
 */
import type { AddressRow, FieldWarning, LeadRow, RejectedRow } from "../domain/import.service";
import type { FieldCatalogue, FieldDefinition } from "../domain/lead-fields";
import { badCharacter } from "../domain/text";
import { chooseSfdcId, importValue, parseImportBoolean, parseTimestamp, printable } from "./import-values";
import type { LeadInput } from "../domain/types";
import type { CsvRecord } from "./csv";

export { parseImportBoolean, parseTimestamp, printable };

/** A file the import cannot read as a whole (no header, no Email column, …). */
export class ImportFileError extends Error {
  constructor(
    message: string,
    /** The line it is about, when there is one. */
    readonly line?: number,
  ) {
    super(message);
    this.name = "ImportFileError";
  }
}

type Column =
  | { readonly kind: "id" }
  | { readonly kind: "email" }
  | { readonly kind: "unsubscribed" }
  | { readonly kind: "sfdcId"; readonly rank: number }
  | { readonly kind: "foreignId" }
  | { readonly kind: "foreignType" }
  | { readonly kind: "sfdcType" }
  | { readonly kind: "createdAt" }
  | { readonly kind: "updatedAt" }
  | { readonly kind: "field"; readonly def: FieldDefinition }
  | { readonly kind: "ignored" };

export interface LeadColumns {
  readonly header: readonly string[];
  /** The header's names as messages show them (printable, never empty). */
  readonly names: readonly string[];
  readonly columns: readonly Column[];
  /** Columns that set nothing, with the reason. */
  readonly ignored: readonly { readonly name: string; readonly why: string }[];
}

const special: Record<string, Column> = {
  id: { kind: "id" },
  marketoid: { kind: "id" },
  leadid: { kind: "id" },
  personid: { kind: "id" },
  marketoleadid: { kind: "id" },
  marketopersonid: { kind: "id" },
  sfdccontactid: { kind: "sfdcId", rank: 0 },
  sfdcleadid: { kind: "sfdcId", rank: 1 },
  sfdcid: { kind: "sfdcId", rank: 2 },
  marketosfdcid: { kind: "sfdcId", rank: 2 },
  salesforceid: { kind: "sfdcId", rank: 2 },
  foreignsyspersonid: { kind: "foreignId" },
  foreignsystype: { kind: "foreignType" },
  sfdctype: { kind: "sfdcType" },
  createdat: { kind: "createdAt" },
  updatedat: { kind: "updatedAt" },
};

/** Marketo's newer labels for standard fields ("Lead" became "Person"), and other spellings of them. */
const aliases: Record<string, string> = {
  personscore: "LeadScore",
  personsource: "LeadSource",
  personstatus: "LeadStatus",
};

/** "Email Address", "email_address", "EmailAddress" → "emailaddress". */
function columnKey(name: string): string {
  return name.normalize("NFKC").toLowerCase().replace(/[\s_\-.:/()]+/g, "");
}

export function mapLeadColumns(header: readonly string[], catalogue: FieldCatalogue, options: { readonly allowNoEmail?: boolean } = {}): LeadColumns {
  const byKey = new Map<string, FieldDefinition>();
  const defs = catalogue.all();
  for (const def of defs) byKey.set(columnKey(def.name), def);
  for (const def of defs) if (!byKey.has(columnKey(def.displayName))) byKey.set(columnKey(def.displayName), def);
  for (const [alias, name] of Object.entries(aliases)) {
    const def = catalogue.find(name);
    if (def && !byKey.has(alias)) byKey.set(alias, def);
  }

  const columns: Column[] = [];
  const ignored: { name: string; why: string }[] = [];
  const taken = new Map<string, string>();
  header.forEach((name, i) => {
    const key = columnKey(name);
    const def = byKey.get(key);
    let column: Column = special[key] ?? (def ? fieldColumn(def) : { kind: "ignored" });
    if (column.kind === "ignored") {
      ignored.push({ name: printable(name) || `(column ${i + 1})`, why: "not a lead field" });
    } else {
      const target = column.kind === "field" ? `field:${column.def.name}` : column.kind === "sfdcId" ? `sfdc:${key}` : column.kind;
      const first = taken.get(target);
      if (first !== undefined) {
        ignored.push({ name: printable(name), why: `the same field as column '${printable(first)}'` });
        column = { kind: "ignored" };
      } else {
        taken.set(target, name);
      }
    }
    columns.push(column);
  });
  if (!columns.some((c) => c.kind === "id" || c.kind === "email" || c.kind === "sfdcId" || c.kind === "foreignId")) {
    throw new ImportFileError(`the lead file's header has no Id, Email Address or SFDC id column (header: ${clip(printable(header.join(",")), 120)}); if the file is not comma-separated, give --delimiter`);
  }
  // Checked before any write: leads without an address cannot carry an unsubscribe.
  if (!options.allowNoEmail && !columns.some((c) => c.kind === "email")) {
    throw new ImportFileError(
      `the lead file's header has no Email column (header: ${clip(printable(header.join(",")), 120)}): every lead would be created without an address, out of reach of any unsubscribe. ` +
        "Check the delimiter (--delimiter) or pass --allow-no-email to import it anyway",
    );
  }
  return { header, names: header.map((name, i) => printable(name) || `(column ${i + 1})`), columns, ignored };
}

function fieldColumn(def: FieldDefinition): Column {
  if (def.column === "email") return { kind: "email" };
  if (def.column === "unsubscribed") return { kind: "unsubscribed" };
  return { kind: "field", def };
}

/** A quick look for what badCharacter (domain/text.ts) refuses: control characters, U+FFFE/U+FFFF, surrogates. */
// eslint-disable-next-line no-control-regex -- matching control characters is the point
const CONTROL = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\uD800-\uDFFF\uFFFE\uFFFF]/;

/** One record of the lead file as a lead row (with the values left out of it), or the reason it is refused. */
export function toLeadRow(record: CsvRecord, map: LeadColumns, now: Date = new Date()): LeadRow | RejectedRow {
  const { fields: values, line } = record;
  const reject = (reason: string): RejectedRow => ({ line, rejected: reason });
  if (values.length !== map.columns.length) return reject(`${values.length} fields where the header has ${map.columns.length}`);
  const fields: Record<string, string> = {};
  const input: { -readonly [K in keyof LeadInput]: LeadInput[K] } = {};
  const warnings: FieldWarning[] = [];
  const sfdc: { rank: number; value: string; column: number }[] = [];
  let foreign: { id?: string; type?: string } = {};
  let sfdcType: { value: "Lead" | "Contact"; column: number } | undefined;
  let droppedEmail: string | undefined;
  for (let i = 0; i < values.length; i++) {
    const column = map.columns[i];
    const raw = values[i];
    const value = raw.trim();
    if (value === "" || column.kind === "ignored") continue;
    const name = map.names[i];
    const warn = (reason: string) => warnings.push({ column: name, value: clip(printable(raw)), reason });
    const bad = CONTROL.test(raw) ? badCharacter(raw) : undefined;
    if (bad) {
      if (column.kind === "id" || column.kind === "foreignType" || column.kind === "unsubscribed") return reject(`${name}: '${clip(printable(value))}' contains the character ${bad}`);
      warn(`contains the character ${bad}, which is not accepted: left out`);
      if (column.kind === "email") droppedEmail = `${name} contains the character ${bad}`;
      continue;
    }
    switch (column.kind) {
      case "id":
        if (!/^\d{1,10}$/.test(value) || Number(value) < 1 || Number(value) > 2147483647) return reject(`${name}: '${clip(value)}' is not a Marketo lead id`);
        input.id = Number(value);
        break;
      case "email":
        if (!looksLikeEmail(value)) {
          warn("not an email address: the lead is kept without one");
          droppedEmail = `${name}: '${clip(value)}' is not an email address`;
        } else input.email = value;
        break;
      case "unsubscribed": {
        const b = parseImportBoolean(value);
        if (b === undefined) return reject(`${name}: '${clip(value)}' is not a boolean (true/false, 1/0, yes/no); a lead whose unsubscribe cannot be read is not written`);
        input.unsubscribed = b;
        break;
      }
      case "sfdcId":
        sfdc.push({ rank: column.rank, value, column: i });
        break;
      case "foreignId":
        foreign = { ...foreign, id: value };
        break;
      case "foreignType":
        if (!["CUSTOM", "SFDC", "NETSUITE"].includes(value.toUpperCase())) return reject(`${name}: '${clip(value)}' is not CUSTOM, SFDC or NETSUITE`);
        foreign = { ...foreign, type: value.toUpperCase() };
        break;
      case "sfdcType": {
        const t = value.toLowerCase() === "lead" ? "Lead" : value.toLowerCase() === "contact" ? "Contact" : undefined;
        if (t) sfdcType = { value: t, column: i };
        else warn("not an SFDC Type (Lead or Contact): left out");
        break;
      }
      case "createdAt":
      case "updatedAt": {
        const at = parseTimestamp(value);
        if (!at) warn("not a date and time (YYYY-MM-DD hh:mm:ss, with an optional zone; none is UTC): left out");
        else if (at.getTime() > now.getTime() + 86_400_000) warn("in the future: left out");
        else input[column.kind] = at;
        break;
      }
      case "field": {
        const read = importValue(column.def, raw);
        if ("error" in read) warn(`${read.error}: left out`);
        else {
          fields[column.def.name] = read.value;
          if (read.note) warn(read.note);
        }
        break;
      }
    }
  }
  const chosen = chooseSfdcId(sfdc, sfdcType);
  if (chosen) {
    input.foreignSysPersonId = chosen.value;
    input.foreignSysType = "SFDC";
    if (chosen.type) fields.SFDCType = chosen.type;
    if (chosen.note && sfdcType) warnings.push({ column: map.names[sfdcType.column], value: sfdcType.value, reason: chosen.note });
  } else {
    if (sfdcType) fields.SFDCType = sfdcType.value;
    if (foreign.id) {
      input.foreignSysPersonId = foreign.id;
      if (foreign.type) input.foreignSysType = foreign.type;
    }
  }
  if (input.id === undefined && !input.foreignSysPersonId && !input.email) {
    if (droppedEmail) return reject(`${droppedEmail}, and the row has no Id or SFDC id: no lead can be written without a key`);
    return reject("no Id, SFDC id or email address: a re-run could not find this lead again");
  }
  // The opt-out follows the address (D1): an unsubscribe whose address cannot be read would stay
  // on this one lead and never reach the address's status or the suppression export.
  if (droppedEmail && input.unsubscribed === true) {
    return reject(`${droppedEmail}, and the row is unsubscribed: the unsubscribe would not follow the address (fix the address, or import it on the unsubscribe list)`);
  }
  return { line, input: { ...input, fields }, ...(warnings.length ? { warnings } : {}) };
}

/** The lead file: a header, then one lead per record. `onHeader` hears the column mapping once. */
export async function* leadRows(
  records: AsyncIterable<CsvRecord>,
  catalogue: () => FieldCatalogue,
  onHeader: (columns: LeadColumns) => void,
  options: { readonly allowNoEmail?: boolean } = {},
): AsyncGenerator<LeadRow | RejectedRow> {
  let map: LeadColumns | undefined;
  for await (const record of records) {
    if (!map) {
      map = mapLeadColumns(record.fields, catalogue(), options);
      onHeader(map);
      continue;
    }
    yield toLeadRow(record, map);
  }
  if (!map) throw new ImportFileError("the lead file is empty (no header)");
}

const emailColumns = new Set(["email", "emailaddress"]);

/**
 * The unsubscribe list: one address per line, or a CSV whose header has an Email (or Email
 * Address) column. A first line that is an address means there is no header.
 */
export async function* addressRows(records: AsyncIterable<CsvRecord>): AsyncGenerator<AddressRow | RejectedRow> {
  let column: number | undefined;
  for await (const record of records) {
    if (column === undefined) {
      const first = addressColumn(record.fields);
      column = first.column;
      if (first.header) continue;
    }
    const value = (record.fields[column] ?? "").trim();
    if (value === "") yield { line: record.line, rejected: "no address" };
    else if (!looksLikeEmail(value)) yield { line: record.line, rejected: `'${clip(value)}' is not an email address` };
    else yield { line: record.line, email: value };
  }
}

/** The unsubscribe list's first line: a header naming the Email column, or already an address (column 0). */
export function addressColumn(first: readonly string[]): { column: number; header: boolean } {
  const found = first.findIndex((f) => emailColumns.has(columnKey(f)));
  if (found >= 0) return { column: found, header: true };
  if (!first[0]?.includes("@")) {
    throw new ImportFileError(`the unsubscribe list has no Email column and its first line is not an address: '${clip(printable(first.join(",")), 80)}'`);
  }
  return { column: 0, header: false };
}

/** A plausible address: one @, no spaces or list separators, a dot in the domain. Nothing stricter: a refused row is a lost lead. */
export function looksLikeEmail(value: string): boolean {
  return value.length <= 254 && /^[^\s@,;<>]+@[^\s@,;<>.][^\s@,;<>]*\.[^\s@,;<>.]+$/.test(value);
}

function clip(s: string, max = 40): string {
  return s.length > max ? `${s.slice(0, max)}…` : s;
}
