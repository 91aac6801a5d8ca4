/**
 * The Salesforce sync decisions (SPEC §4) as pure functions. A Salesforce outbound message
 * carries a record's current values; what counts is how they differ from the values last seen
 * for that record:
 * - HasOptedOutOfEmail seen true for the first time, or false→true: unsubscribe (D1);
 * - true→false: re-subscribe (D2); an unchanged value (or one not sent) changes nothing;
 * - an Email different from the last one seen is an email change (D5, applied by LeadService);
 * - a notification older than the last one seen (by SystemModstamp, when sent) is stale, since
 *   Salesforce may deliver out of order, and changes nothing.
 */

/** The values last seen for one Salesforce record. */
export interface SfdcRecordState {
  /** null: never sent. */
  readonly optedOut: boolean | null;
  /** Keyed hash of the email key; null: never sent, or empty. */
  readonly emailHash: string | null;
  /** SystemModstamp of the newest notification applied; null when none carried one. */
  readonly modifiedAt: Date | null;
}

/** What a notification carries. undefined: the field is not in the message (or nil). */
export interface SfdcRecordValues {
  readonly optedOut?: boolean;
  /** null: sent empty ("not given", as an empty Email is everywhere, SPEC D5). */
  readonly emailHash?: string | null;
  readonly modifiedAt?: Date;
}

export interface SfdcDecision {
  /** Older than what was already applied: nothing changes, not even the stored values. */
  readonly stale: boolean;
  /** true: unsubscribe; false: re-subscribe; undefined: leave Unsubscribed alone. */
  readonly unsubscribed?: boolean;
  /** The email differs from the last one seen (or is seen for the first time). */
  readonly emailChanged: boolean;
  /** The values to remember for the record. */
  readonly next: SfdcRecordState;
}

export function decideOnNotification(previous: SfdcRecordState | null, current: SfdcRecordValues): SfdcDecision {
  if (previous?.modifiedAt && current.modifiedAt && current.modifiedAt.getTime() < previous.modifiedAt.getTime()) {
    return { stale: true, emailChanged: false, next: previous };
  }
  const was = previous?.optedOut ?? null;
  let unsubscribed: boolean | undefined;
  if (current.optedOut === true && was !== true) unsubscribed = true;
  else if (current.optedOut === false && was === true) unsubscribed = false;

  const emailChanged = !!current.emailHash && current.emailHash !== (previous?.emailHash ?? null);
  return {
    stale: false,
    ...(unsubscribed !== undefined ? { unsubscribed } : {}),
    emailChanged,
    next: {
      optedOut: current.optedOut ?? was,
      emailHash: current.emailHash !== undefined ? current.emailHash : (previous?.emailHash ?? null),
      modifiedAt: current.modifiedAt ?? previous?.modifiedAt ?? null,
    },
  };
}

const ID = /^[A-Za-z0-9]{15}(?:[A-Za-z0-9]{3})?$/;
const SUFFIX = "ABCDEFGHIJKLMNOPQRSTUVWXYZ012345";

/** True for a 15- or 18-character Salesforce id. */
export function isSalesforceId(id: string): boolean {
  return ID.test(id);
}

/**
 * The 18-character form of a Salesforce id: the 15-character id is case-sensitive, the three
 * extra characters encode which of its letters are upper case. An 18-character id is returned
 * with its suffix recomputed, so both forms of one record give one key.
 */
export function salesforceId18(id: string): string {
  if (!isSalesforceId(id)) throw new Error(`not a Salesforce id: ${id.slice(0, 40)}`);
  const id15 = id.slice(0, 15);
  let suffix = "";
  for (let chunk = 0; chunk < 3; chunk++) {
    let bits = 0;
    for (let i = 0; i < 5; i++) {
      const c = id15.charCodeAt(chunk * 5 + i);
      if (c >= 65 && c <= 90) bits |= 1 << i;
    }
    suffix += SUFFIX[bits];
  }
  return id15 + suffix;
}

/** Two Salesforce ids name the same thing: their first 15 characters agree, case-sensitively. */
export function sameSalesforceId(a: string, b: string): boolean {
  return isSalesforceId(a) && isSalesforceId(b) && a.slice(0, 15) === b.slice(0, 15);
}
