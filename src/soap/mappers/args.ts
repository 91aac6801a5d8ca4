/**
 * node-soap hands operation arguments over as loosely typed objects (strings, numbers, arrays
 * for maxOccurs="unbounded", null for xsi:nil with handleNilAsNull, `attributes` for XML
 * attributes). These helpers parse them once, at the edge.
 */
import { MarketoCodes, MarketoFault } from "../faults";

export type Args = Record<string, unknown>;

export function asRecord(v: unknown): Args | undefined {
  return v !== null && typeof v === "object" && !Array.isArray(v) && !(v instanceof Date) ? (v as Args) : undefined;
}

/** One element or many: always an array. */
export function asList(v: unknown): unknown[] {
  if (v === undefined || v === null) return [];
  return Array.isArray(v) ? v : [v];
}

/** Text content; numbers and booleans as node-soap typed them back to text. */
export function asText(v: unknown): string | undefined {
  if (v === undefined || v === null) return undefined;
  if (typeof v === "string") return v;
  if (typeof v === "number" || typeof v === "boolean") return String(v);
  if (v instanceof Date) return Number.isNaN(v.getTime()) ? undefined : v.toISOString();
  const r = asRecord(v);
  if (r && typeof r.$value === "string") return r.$value;
  if (r && Object.keys(r).every((k) => k === "attributes")) return "";
  return undefined;
}

/** An xs:int: a number from node-soap, or text of digits. */
export function asInt(v: unknown, name: string): number | undefined {
  if (v === undefined || v === null || v === "") return undefined;
  const t = typeof v === "number" ? String(v) : asText(v)?.trim();
  if (t === "") return undefined; // an empty element (node-soap gives {}) is "not given", as for asBool/asDate
  // xs:int lexical form only: Number() would also take "1e2", "0x10" and " ".
  const n = t !== undefined && /^[-+]?\d{1,10}$/.test(t) ? Number(t) : NaN;
  if (!Number.isInteger(n) || n < -2147483648 || n > 2147483647) {
    throw new MarketoFault(MarketoCodes.badParameter, `${name} must be an integer`);
  }
  return n;
}

/** An xs:boolean (true/false/1/0). */
export function asBool(v: unknown, name: string): boolean | undefined {
  if (v === undefined || v === null || v === "") return undefined;
  if (typeof v === "boolean") return v;
  const t = asText(v)?.trim().toLowerCase();
  if (t === "true" || t === "1") return true;
  if (t === "false" || t === "0") return false;
  throw new MarketoFault(MarketoCodes.badParameter, `${name} must be a boolean`);
}

/** xs:dateTime: node-soap gives a Date (or an invalid one), null for empty elements. */
export function asDate(v: unknown, name: string): Date | undefined {
  if (v === undefined || v === null || v === "") return undefined;
  // An empty element with attributes (`<latestCreatedAt xsi:type="xsd:dateTime"/>`) is empty too (reference §8.3).
  if (!(v instanceof Date) && asText(v)?.trim() === "") return undefined;
  const d = v instanceof Date ? v : new Date(asText(v) ?? "");
  if (Number.isNaN(d.getTime())) throw new MarketoFault(MarketoCodes.badParameter, `${name} must be a dateTime`);
  return d;
}

export function required<T>(v: T | undefined, name: string): T {
  if (v === undefined) throw new MarketoFault(MarketoCodes.parameterRequired, `${name} is required`);
  return v;
}
