/**
 * The lead field catalogue: every field by its SOAP API name (attrName), with the attrType
 * Marketo reports and the display name used in activity rows (reference/lead-fields.md §3).
 */
export type FieldType =
  | "string"
  | "text"
  | "email"
  | "integer"
  | "float"
  | "currency"
  | "boolean"
  | "date"
  | "datetime"
  | "url"
  | "phone";

export interface FieldDefinition {
  readonly name: string;
  readonly type: FieldType;
  readonly displayName: string;
  /** Stored in its own column rather than in the fields map. */
  readonly column?: "email" | "unsubscribed" | "unsubscribedReason";
  readonly custom?: boolean;
}

const standard: FieldDefinition[] = [
  { name: "Email", type: "email", displayName: "Email Address", column: "email" },
  { name: "Unsubscribed", type: "boolean", displayName: "Unsubscribed", column: "unsubscribed" },
  { name: "UnsubscribedReason", type: "text", displayName: "Unsubscribed Reason", column: "unsubscribedReason" },
  { name: "Salutation", type: "string", displayName: "Salutation" },
  { name: "FirstName", type: "string", displayName: "First Name" },
  { name: "MiddleName", type: "string", displayName: "Middle Name" },
  { name: "LastName", type: "string", displayName: "Last Name" },
  { name: "Title", type: "string", displayName: "Job Title" },
  { name: "Company", type: "string", displayName: "Company Name" },
  { name: "Site", type: "string", displayName: "Site" },
  { name: "Department", type: "string", displayName: "Department" },
  { name: "Industry", type: "string", displayName: "Industry" },
  { name: "AnnualRevenue", type: "currency", displayName: "Annual Revenue" },
  { name: "NumberOfEmployees", type: "integer", displayName: "Num Employees" },
  { name: "SICCode", type: "string", displayName: "SIC Code" },
  { name: "Website", type: "url", displayName: "Website" },
  { name: "Phone", type: "phone", displayName: "Phone Number" },
  { name: "MainPhone", type: "phone", displayName: "Main Phone" },
  { name: "MobilePhone", type: "phone", displayName: "Mobile Phone Number" },
  { name: "Fax", type: "phone", displayName: "Fax Number" },
  { name: "Address", type: "text", displayName: "Address" },
  { name: "City", type: "string", displayName: "City" },
  { name: "State", type: "string", displayName: "State" },
  { name: "PostalCode", type: "string", displayName: "Postal Code" },
  { name: "Country", type: "string", displayName: "Country" },
  { name: "BillingStreet", type: "text", displayName: "Billing Address" },
  { name: "BillingCity", type: "string", displayName: "Billing City" },
  { name: "BillingState", type: "string", displayName: "Billing State" },
  { name: "BillingPostalCode", type: "string", displayName: "Billing Postal Code" },
  { name: "BillingCountry", type: "string", displayName: "Billing Country" },
  { name: "DateofBirth", type: "date", displayName: "Date of Birth" },
  { name: "DoNotCall", type: "boolean", displayName: "Do Not Call" },
  { name: "DoNotCallReason", type: "string", displayName: "Do Not Call Reason" },
  { name: "LeadRole", type: "string", displayName: "Role" },
  { name: "LeadScore", type: "integer", displayName: "Lead Score" },
  { name: "LeadSource", type: "string", displayName: "Lead Source" },
  { name: "LeadStatus", type: "string", displayName: "Lead Status" },
  { name: "Rating", type: "string", displayName: "Lead Rating" },
  { name: "AnonymousIP", type: "string", displayName: "Anonymous IP" },
  { name: "InferredCompany", type: "string", displayName: "Inferred Company" },
  { name: "InferredCountry", type: "string", displayName: "Inferred Country" },
  { name: "EmailInvalid", type: "boolean", displayName: "Email Invalid" },
  { name: "EmailInvalidCause", type: "string", displayName: "Email Invalid Cause" },
  { name: "MktoPersonNotes", type: "text", displayName: "Person Notes" },
  // Marketo's "SFDC Type" (REST sfdcType): Lead or Contact. Its SOAP name is inferred (PascalCase,
  // as for the fields above); getLead by SFDCLEADID / SFDCCONTACTID reads it (lead-key.ts).
  { name: "SFDCType", type: "string", displayName: "SFDC Type" },
];

/** Looks fields up by SOAP attrName, case-sensitively first, then ignoring case. */
export class FieldCatalogue {
  private readonly byName = new Map<string, FieldDefinition>();
  private readonly byLowerName = new Map<string, FieldDefinition>();

  constructor(custom: FieldDefinition[] = []) {
    for (const f of [...standard, ...custom]) {
      this.byName.set(f.name, f);
      this.byLowerName.set(f.name.toLowerCase(), f);
    }
  }

  find(name: string): FieldDefinition | undefined {
    return this.byName.get(name) ?? this.byLowerName.get(name.toLowerCase());
  }

  all(): FieldDefinition[] {
    return [...this.byName.values()];
  }

  displayName(name: string): string {
    return this.find(name)?.displayName ?? name;
  }
}

export const standardFields: readonly FieldDefinition[] = standard;

/**
 * Names a field may not have: those of JavaScript's object machinery (`hasOwnProperty`,
 * `constructor`, `__proto__`, `toJSON`, …), compared ignoring case. A lead's fields are a map
 * from name to text; a field with one of these names would shadow a method of that map
 * wherever a library treats it as an object.
 */
const reservedNames = new Set([...Object.getOwnPropertyNames(Object.prototype), "__proto__", "toJSON", "then"].map((n) => n.toLowerCase()));

export function isReservedFieldName(name: string): boolean {
  return reservedNames.has(name.trim().toLowerCase());
}

/** An empty field map that no name can shadow a method of (no prototype). */
export function emptyFieldMap(): Record<string, string> {
  return Object.create(null) as Record<string, string>;
}

/**
 * Sets a field in a map as an own property, whatever its name: `map["__proto__"] = v` would
 * change the map's prototype and store nothing; this stores it (and it is then refused as an
 * unknown field, 20105).
 */
export function setField(map: Record<string, string>, name: string, value: string): void {
  Object.defineProperty(map, name, { value, enumerable: true, writable: true, configurable: true });
}

/** A boolean as Marketo accepts it: true/false/1/0 in any case. Anything else is invalid. */
export function parseBoolean(value: string): boolean | undefined {
  const v = value.trim().toLowerCase();
  if (v === "true" || v === "1") return true;
  if (v === "false" || v === "0") return false;
  return undefined;
}

/** Checks a field value against its type; returns the normalised text or an error text. */
export function normaliseFieldValue(def: FieldDefinition, raw: string): { value: string } | { error: string } {
  const value = raw;
  if (value.trim() === "") return { value: "" };
  switch (def.type) {
    case "boolean": {
      const b = parseBoolean(value);
      return b === undefined ? { error: `${def.name}: '${clip(value)}' is not a boolean` } : { value: b ? "true" : "false" };
    }
    case "integer":
      return /^\s*[-+]?\d{1,15}\s*$/.test(value)
        ? { value: String(parseInt(value, 10)) }
        : { error: `${def.name}: '${clip(value)}' is not an integer` };
    case "float":
    case "currency":
      return /^\s*[-+]?(\d+(\.\d*)?|\.\d+)([eE][-+]?\d+)?\s*$/.test(value) && Number.isFinite(Number(value))
        ? { value: value.trim() }
        : { error: `${def.name}: '${clip(value)}' is not a number` };
    case "date":
      // Date.parse rolls 2023-02-30 over to March; a real date formats back to itself.
      return /^\d{4}-\d{2}-\d{2}$/.test(value.trim()) && isCalendarDate(value.trim())
        ? { value: value.trim() }
        : { error: `${def.name}: '${clip(value)}' is not a date (YYYY-MM-DD)` };
    case "datetime":
      return Number.isNaN(Date.parse(value.trim()))
        ? { error: `${def.name}: '${clip(value)}' is not a date and time` }
        : { value: value.trim() };
    default:
      return value.length > 65535 ? { error: `${def.name}: value longer than 65535 characters` } : { value };
  }
}

function isCalendarDate(ymd: string): boolean {
  const d = new Date(`${ymd}T00:00:00Z`);
  return !Number.isNaN(d.getTime()) && d.toISOString().slice(0, 10) === ymd;
}

function clip(s: string): string {
  return s.length > 40 ? `${s.slice(0, 40)}…` : s;
}
