/**
 * The values a write decides, as pure functions of the write decider (write-decider.ts): what a
 * request makes of a lead, the Change Data Value rows of the fields it changed (SPEC §3), and an
 * activity row's attributes without an erased address.
 */
import { booleanText, type ValueChange } from "./activity-log.service";
import { emailKey } from "./email";
import type { FlagDecision } from "./email-status.policy";
import type { FieldCatalogue } from "./lead-fields";
import type { NormalisedInput } from "./lead-input";
import { SystemReasons, type ActivityAttribute, type Lead } from "./types";
import type { WriteTarget } from "./write-plan";

export function scopeOf(target: WriteTarget): readonly number[] | undefined {
  return target.kind === "new" ? undefined : target.scope;
}

/** The request's values on the lead. An empty Email is "not given" (D5); an empty field value removes it. */
export function applyInput(lead: Lead, data: NormalisedInput): void {
  if (data.email) lead.email = data.email;
  if (data.foreignSysPersonId) {
    lead.foreignSysPersonId = data.foreignSysPersonId;
    lead.foreignSysType = data.foreignSysType ?? lead.foreignSysType ?? "CUSTOM";
  }
  if (data.unsubscribedReason !== undefined) lead.unsubscribedReason = data.unsubscribedReason || null;
  for (const [name, value] of Object.entries(data.fields)) {
    if (value === "") delete lead.fields[name];
    else lead.fields[name] = value;
  }
}

export function flagChange(oldValue: boolean, newValue: boolean, decision: FlagDecision): ValueChange {
  return {
    field: "Unsubscribed",
    displayName: "Unsubscribed",
    oldValue: booleanText(oldValue),
    newValue: booleanText(newValue),
    ...(decision.cause === "rule" ? { systemReason: SystemReasons.reset } : {}),
  };
}

export function fieldChanges(previous: Lead, lead: Lead, catalogue: FieldCatalogue): ValueChange[] {
  const changes: ValueChange[] = [];
  const add = (field: string, oldValue: string, newValue: string) => {
    if (oldValue !== newValue) changes.push({ field, displayName: catalogue.displayName(field), oldValue, newValue });
  };
  add("Email", previous.email ?? "", lead.email ?? "");
  add("UnsubscribedReason", previous.unsubscribedReason ?? "", lead.unsubscribedReason ?? "");
  const names = new Set([...Object.keys(previous.fields ?? {}), ...Object.keys(lead.fields ?? {})]);
  for (const name of [...names].sort()) add(name, previous.fields?.[name] ?? "", lead.fields?.[name] ?? "");
  return changes;
}

/** The attributes with every Old/New Value that is the address `key` blanked; null when none was. */
export function withoutAddress(attributes: readonly ActivityAttribute[], key: string): ActivityAttribute[] | null {
  let changed = false;
  const out = attributes.map((a) => {
    if ((a.name === "Old Value" || a.name === "New Value") && emailKey(a.value) === key) {
      changed = true;
      return { ...a, value: "" };
    }
    return a;
  });
  return changed ? out : null;
}
