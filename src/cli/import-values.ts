/**
 * The values of a lead export's cells as the import reads them (import-columns.ts): the SFDC id
 * a lead keeps, numbers and booleans as spreadsheets write them, times, and text made printable.
 */
import { normaliseFieldValue, type FieldDefinition } from "../domain/lead-fields";

/**
 * The SFDC id a lead keeps: the one its SFDC Type names (Contact: SFDC Contact ID, Lead: SFDC
 * Lead ID), else the first of Contact ID, Lead ID, SFDC Id. The type follows the column the id
 * came from when SFDC Type does not say it (a generic SFDC Id says nothing).
 */
export function chooseSfdcId(
  ids: readonly { rank: number; value: string }[],
  given: { value: "Lead" | "Contact" } | undefined,
): { value: string; type?: "Lead" | "Contact"; note?: string } | undefined {
  const typeOf = (rank: number) => (rank === 0 ? "Contact" : rank === 1 ? "Lead" : undefined);
  const byRank = [...ids].sort((a, b) => a.rank - b.rank);
  if (byRank.length === 0) return undefined;
  if (given) {
    const own = byRank.find((x) => typeOf(x.rank) === given.value);
    if (own) return { value: own.value, type: given.value };
    const other = byRank[0];
    const otherType = typeOf(other.rank);
    if (otherType) return { value: other.value, type: otherType, note: `SFDC Type ${given.value} but no SFDC ${given.value} ID: the SFDC ${otherType} ID is kept and the lead typed ${otherType}` };
    return { value: other.value, type: given.value };
  }
  return { value: byRank[0].value, ...(typeOf(byRank[0].rank) ? { type: typeOf(byRank[0].rank) } : {}) };
}

/**
 * A cell as its field takes it: checked as the API checks it, with what spreadsheets add
 * (yes/no booleans; a currency sign and thousands commas: "$1,250,000" is 1250000, said in a note).
 */
export function importValue(def: FieldDefinition, raw: string): { value: string; note?: string } | { error: string } {
  let text = raw;
  if (def.type === "boolean") {
    const b = parseImportBoolean(raw);
    if (b !== undefined) text = String(b);
  } else if (def.type === "integer" || def.type === "float" || def.type === "currency") {
    const plain = plainNumber(raw, def.type === "currency");
    if (plain !== undefined && plain !== raw.trim()) {
      const read = normaliseFieldValue(def, plain);
      return "error" in read ? { error: read.error.replace(`${def.name}: `, "") } : { value: read.value, note: `read as ${read.value}` };
    }
  }
  const read = normaliseFieldValue(def, text);
  return "error" in read ? { error: read.error.replace(`${def.name}: `, "") } : read;
}

/** "$1,250,000.50" → "1250000.50": a leading or trailing currency sign (currency fields) and comma thousands groups. */
function plainNumber(raw: string, currency: boolean): string | undefined {
  let t = raw.trim();
  if (currency) t = t.replace(/^([-+]?)\s*[$€£¥]\s*/u, "$1").replace(/\s*[$€£¥]$/u, "");
  if (/^[-+]?\d{1,3}(,\d{3})+(\.\d+)?$/.test(t)) t = t.replace(/,/g, "");
  return t;
}

/**
 * A time as exports write it: ISO 8601 (`2020-01-31T08:15:00Z`, `2020-01-31 08:15:00+01:00`,
 * `2020-01-31`), or a spreadsheet's `1/31/2020 8:15 AM` (month first). No zone: UTC.
 */
export function parseTimestamp(text: string): Date | undefined {
  const t = text.trim();
  const iso = ISO_TIME.exec(t);
  const us = iso ? null : US_TIME.exec(t);
  const n = (v: string | undefined) => (v === undefined ? 0 : parseInt(v, 10));
  let y: number, mo: number, d: number, h: number;
  let offset = 0;
  let ms = 0;
  const m = iso ?? us;
  if (!m) return undefined;
  if (iso) {
    [y, mo, d, h] = [n(iso[1]), n(iso[2]), n(iso[3]), n(iso[4])];
    if (iso[7]) ms = Math.round(Number(iso[7]) * 1000);
    const zone = iso[8];
    if (zone && zone !== "Z" && zone !== "z") {
      const z = /^([+-])(\d{2}):?(\d{2})?$/.exec(zone);
      if (!z) return undefined;
      offset = (z[1] === "-" ? -1 : 1) * (n(z[2]) * 60 + n(z[3]));
    }
  } else {
    const u = us as RegExpExecArray;
    [mo, d, y, h] = [n(u[1]), n(u[2]), n(u[3]), n(u[4])];
    if (u[7]) {
      if (h < 1 || h > 12) return undefined;
      h = (h % 12) + (u[7].toUpperCase() === "PM" ? 12 : 0);
    }
  }
  const mi = n(m[5]);
  const s = n(m[6]);
  if (h > 23 || mi > 59 || s > 59) return undefined;
  const day = Date.UTC(y, mo - 1, d);
  // A day that does not exist (2023-02-30) rolls over: refuse it.
  const check = new Date(day);
  if (check.getUTCFullYear() !== y || check.getUTCMonth() !== mo - 1 || check.getUTCDate() !== d) return undefined;
  return new Date(day + ((h * 60 + mi - offset) * 60 + s) * 1000 + ms);
}

const ISO_TIME = /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(\.\d{1,9})?)?)?\s*(Z|[+-]\d{2}(?::?\d{2})?)?$/i;
const US_TIME = /^(\d{1,2})\/(\d{1,2})\/(\d{4})(?:\s+(\d{1,2}):(\d{2})(?::(\d{2}))?\s*([AP]M)?)?$/i;

/** true/false, 1/0, yes/no, y/n, in any case. */
export function parseImportBoolean(value: string): boolean | undefined {
  const v = value.trim().toLowerCase();
  if (v === "true" || v === "1" || v === "yes" || v === "y") return true;
  if (v === "false" || v === "0" || v === "no" || v === "n") return false;
  return undefined;
}

/** Text safe to print on a terminal and in a report: control characters as U+XXXX. */
export function printable(s: string): string {
  // eslint-disable-next-line no-control-regex -- the point is to show control characters
  return s.replace(/[\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F-\u009F]/g, (c) => `U+${c.charCodeAt(0).toString(16).toUpperCase().padStart(4, "0")}`);
}
