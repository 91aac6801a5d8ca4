/**
 * A write's input resolved against the field catalogue: attrNames looked up (unknown ones are
 * refused together, 20105), values checked by type, Email/Unsubscribed/UnsubscribedReason taken
 * out of the attributes into their own places. An empty Email means "not given" (D5). Pure.
 */
import { emailKey } from "./email";
import { badCharacter, badTextMessage } from "./text";
import { InvalidValueError, UnknownFieldError } from "./errors";
import { emptyFieldMap, normaliseFieldValue, parseBoolean, type FieldCatalogue, type FieldDefinition } from "./lead-fields";
import type { LeadInput } from "./types";

/** A validated input: attributes resolved against the field catalogue. */
export interface NormalisedInput {
  id?: number;
  email?: string;
  foreignSysPersonId?: string;
  foreignSysType?: string;
  unsubscribed?: boolean;
  unsubscribedReason?: string;
  fields: Record<string, string>;
  /** A create's own times (LeadInput.createdAt): an Updated At before the Created At is the Created At. */
  createdAt?: Date;
  updatedAt?: Date;
}

export function normaliseLeadInput(input: LeadInput, catalogue: FieldCatalogue): NormalisedInput {
  refuseBadText(input);
  const out: NormalisedInput = { fields: emptyFieldMap() };
  if (input.id !== undefined && input.id !== null) {
    if (!Number.isInteger(input.id) || input.id <= 0 || input.id > 2147483647) throw new InvalidValueError(`Id '${input.id}' is not a lead id`);
    out.id = input.id;
  }
  if (emailKey(input.email) !== null) out.email = input.email as string;
  if (input.foreignSysPersonId) {
    out.foreignSysPersonId = input.foreignSysPersonId;
    if (input.foreignSysType) {
      if (!["CUSTOM", "SFDC", "NETSUITE"].includes(input.foreignSysType)) {
        throw new InvalidValueError(`ForeignSysType '${input.foreignSysType}' is not CUSTOM, SFDC or NETSUITE`);
      }
      out.foreignSysType = input.foreignSysType;
    }
  }
  if (input.unsubscribed !== undefined) out.unsubscribed = input.unsubscribed;
  if (input.unsubscribedReason !== undefined && input.unsubscribedReason !== null) out.unsubscribedReason = input.unsubscribedReason;
  for (const [name, at] of [["createdAt", input.createdAt], ["updatedAt", input.updatedAt]] as const) {
    if (at !== undefined && !(at instanceof Date && !Number.isNaN(at.getTime()))) throw new InvalidValueError(`${name} is not a time`);
  }
  if (input.createdAt) out.createdAt = input.createdAt;
  if (input.updatedAt) out.updatedAt = out.createdAt && input.updatedAt < out.createdAt ? out.createdAt : input.updatedAt;
  // A lead is never updated before it was created: an Updated At alone is its Created At too.
  if (out.updatedAt && !out.createdAt) out.createdAt = out.updatedAt;

  const unknown: string[] = [];
  // One field named twice in a record (e.g. `Unsubscribed` and `unsubscribed`) must say one thing.
  const given = new Map<string, string>();
  for (const [rawName, rawValue] of Object.entries(input.fields ?? {})) {
    const def = catalogue.find(rawName);
    if (!def) {
      unknown.push(rawName);
      continue;
    }
    const value = rawValue ?? "";
    const earlier = given.get(def.name);
    if (earlier !== undefined && !sameValue(def, earlier, value)) throw new InvalidValueError(`${def.name} is given twice with different values`);
    given.set(def.name, value);
    if (def.column === "email") {
      if (emailKey(value) !== null) out.email = value;
    } else if (def.column === "unsubscribed") {
      const b = parseBoolean(value);
      if (b === undefined) throw new InvalidValueError(`Unsubscribed: '${value.slice(0, 40)}' is not a boolean`);
      out.unsubscribed = b;
    } else if (def.column === "unsubscribedReason") {
      out.unsubscribedReason = value;
    } else {
      const checked = normaliseFieldValue(def, value);
      if ("error" in checked) throw new InvalidValueError(checked.error);
      out.fields[def.name] = checked.value;
    }
  }
  if (unknown.length > 0) throw new UnknownFieldError(unknown);
  return out;
}

/** Two texts of one field that mean the same (booleans by meaning: `true` and `1`). */
function sameValue(def: FieldDefinition, a: string, b: string): boolean {
  if (a === b) return true;
  if (def.type === "boolean") return parseBoolean(a) !== undefined && parseBoolean(a) === parseBoolean(b);
  return false;
}

/**
 * Text no channel may store (text.ts): checked here, where every channel's input passes (the
 * import and flow steps too, not only the HTTP edges, which refuse it earlier with their own answer).
 */
function refuseBadText(input: LeadInput): void {
  const named: [string, string | null | undefined][] = [
    ["Email", input.email],
    ["UnsubscribedReason", input.unsubscribedReason],
    ["ForeignSysPersonId", input.foreignSysPersonId],
    ["ForeignSysType", input.foreignSysType],
    ...Object.entries(input.fields ?? {}),
  ];
  for (const [name, value] of named) {
    const character = typeof value === "string" ? badCharacter(value) : undefined;
    if (character) throw new InvalidValueError(badTextMessage({ path: name, character }));
  }
}
