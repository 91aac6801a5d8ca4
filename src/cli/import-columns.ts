/**
 * The files of an import, in the domain's words. A Marketo lead export names its columns by the
 * fields' labels ("Email Address", "Company Name", "Job Title"); exports made through the APIs
 * use the SOAP attrNames ("Email", "Company", "Title"). Both are accepted, ignoring case, spaces
 * and punctuation, and so are declared custom fields by name or display name. Marketo's own
 * columns: "Id" (the Marketo lead id, kept), "SFDC Contact ID" / "SFDC Lead ID" / "SFDC Id"
 * (the Salesforce id, kept as the lead's SFDC foreign id, in that order of preference). Other
 * columns are reported once and ignored. An empty cell means "not given": it clears nothing.
 */
import type { AddressRow, LeadRow, RejectedRow } from "../domain/import.service";
import type { FieldCatalogue, FieldDefinition } from "../domain/lead-fields";
import type { LeadInput } from "../domain/types";
import type { CsvRecord } from "./csv";

/** A file the import cannot read as a whole (no header, no Email column, …). */
export class ImportFileError extends Error {
  constructor(message: string) {
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
  | { readonly kind: "field"; readonly def: FieldDefinition }
  | { readonly kind: "ignored" };

export interface LeadColumns {
  readonly header: readonly string[];
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

  const columns: Column[] = [];
  const ignored: { name: string; why: string }[] = [];
  const taken = new Map<string, string>();
  header.forEach((name, i) => {
    const key = columnKey(name);
    const def = byKey.get(key);
    let column: Column = special[key] ?? (def ? fieldColumn(def) : { kind: "ignored" });
    if (column.kind === "ignored") {
      ignored.push({ name: name || `(column ${i + 1})`, why: "not a lead field" });
    } else {
      const target = column.kind === "field" ? `field:${column.def.name}` : column.kind === "sfdcId" ? `sfdc:${key}` : column.kind;
      const first = taken.get(target);
      if (first !== undefined) {
        ignored.push({ name, why: `the same field as column '${first}'` });
        column = { kind: "ignored" };
      } else {
        taken.set(target, name);
      }
    }
    columns.push(column);
  });
  if (!columns.some((c) => c.kind === "id" || c.kind === "email" || c.kind === "sfdcId" || c.kind === "foreignId")) {
    throw new ImportFileError(`the lead file's header has no Id, Email Address or SFDC id column (header: ${clip(header.join(","), 120)}); if the file is not comma-separated, give --delimiter`);
  }
  // Checked before any write: leads without an address cannot carry an unsubscribe.
  if (!options.allowNoEmail && !columns.some((c) => c.kind === "email")) {
    throw new ImportFileError(
      `the lead file's header has no Email column (header: ${clip(header.join(","), 120)}): every lead would be created without an address, out of reach of any unsubscribe. ` +
        "Check the delimiter (--delimiter) or pass --allow-no-email to import it anyway",
    );
  }
  return { header, columns, ignored };
}

function fieldColumn(def: FieldDefinition): Column {
  if (def.column === "email") return { kind: "email" };
  if (def.column === "unsubscribed") return { kind: "unsubscribed" };
  return { kind: "field", def };
}

/** One record of the lead file as a lead row, or the reason it is refused. */
export function toLeadRow(record: CsvRecord, map: LeadColumns): LeadRow | RejectedRow {
  const { fields: values, line } = record;
  const reject = (reason: string): RejectedRow => ({ line, rejected: reason });
  if (values.length !== map.columns.length) return reject(`${values.length} fields where the header has ${map.columns.length}`);
  const fields: Record<string, string> = {};
  const input: { -readonly [K in keyof LeadInput]: LeadInput[K] } = {};
  let sfdc: { rank: number; value: string } | undefined;
  let foreign: { id?: string; type?: string } = {};
  for (let i = 0; i < values.length; i++) {
    const column = map.columns[i];
    const raw = values[i];
    const value = raw.trim();
    if (value === "" || column.kind === "ignored") continue;
    const name = map.header[i];
    switch (column.kind) {
      case "id":
        if (!/^\d{1,10}$/.test(value) || Number(value) < 1 || Number(value) > 2147483647) return reject(`${name}: '${clip(value)}' is not a Marketo lead id`);
        input.id = Number(value);
        break;
      case "email":
        if (!looksLikeEmail(value)) return reject(`${name}: '${clip(value)}' is not an email address`);
        input.email = value;
        break;
      case "unsubscribed": {
        const b = parseImportBoolean(value);
        if (b === undefined) return reject(`${name}: '${clip(value)}' is not a boolean (true/false, 1/0, yes/no)`);
        input.unsubscribed = b;
        break;
      }
      case "sfdcId":
        if (!sfdc || column.rank < sfdc.rank) sfdc = { rank: column.rank, value };
        break;
      case "foreignId":
        foreign = { ...foreign, id: value };
        break;
      case "foreignType":
        foreign = { ...foreign, type: value };
        break;
      case "field": {
        // Marketo writes booleans as true/false; spreadsheets often as yes/no.
        const b = column.def.type === "boolean" ? parseImportBoolean(value) : undefined;
        fields[column.def.name] = b === undefined ? raw : String(b);
        break;
      }
    }
  }
  if (sfdc) {
    input.foreignSysPersonId = sfdc.value;
    input.foreignSysType = "SFDC";
  } else if (foreign.id) {
    input.foreignSysPersonId = foreign.id;
    if (foreign.type) input.foreignSysType = foreign.type.toUpperCase();
  }
  if (input.id === undefined && !input.foreignSysPersonId && !input.email) {
    return reject("no Id, SFDC id or email address: a re-run could not find this lead again");
  }
  return { line, input: { ...input, fields } };
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
      const found = record.fields.findIndex((f) => emailColumns.has(columnKey(f)));
      if (found >= 0) {
        column = found;
        continue;
      }
      if (!record.fields[0]?.includes("@")) {
        throw new ImportFileError(`the unsubscribe list has no Email column and its first line is not an address: '${clip(record.fields.join(","), 80)}'`);
      }
      column = 0;
    }
    const value = (record.fields[column] ?? "").trim();
    if (value === "") yield { line: record.line, rejected: "no address" };
    else if (!looksLikeEmail(value)) yield { line: record.line, rejected: `'${clip(value)}' is not an email address` };
    else yield { line: record.line, email: value };
  }
}

/** A plausible address: one @, no spaces or list separators, a dot in the domain. Nothing stricter: a refused row is a lost lead. */
export function looksLikeEmail(value: string): boolean {
  return value.length <= 254 && /^[^\s@,;<>]+@[^\s@,;<>.][^\s@,;<>]*\.[^\s@,;<>.]+$/.test(value);
}

/** true/false, 1/0, yes/no, y/n, in any case. */
export function parseImportBoolean(value: string): boolean | undefined {
  const v = value.trim().toLowerCase();
  if (v === "true" || v === "1" || v === "yes" || v === "y") return true;
  if (v === "false" || v === "0" || v === "no" || v === "n") return false;
  return undefined;
}

function clip(s: string, max = 40): string {
  return s.length > max ? `${s.slice(0, max)}…` : s;
}
