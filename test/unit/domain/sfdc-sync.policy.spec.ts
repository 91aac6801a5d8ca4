/**
 * The Salesforce sync decisions (SPEC §4) as a table: what a notification's current values
 * mean against the values last seen for the record; and the Salesforce id forms.
 */
import { decideOnNotification, isSalesforceId, salesforceId18, sameSalesforceId, type SfdcDecision, type SfdcRecordState, type SfdcRecordValues } from "../../../src/domain/sfdc-sync.policy";

const A = "hash-a";
const B = "hash-b";
const T0 = new Date("2026-03-01T10:00:00Z");
const T1 = new Date("2026-03-01T10:00:05Z");
const seen = (optedOut: boolean | null, emailHash: string | null = A, modifiedAt: Date | null = null): SfdcRecordState => ({ optedOut, emailHash, modifiedAt });

interface Row {
  title: string;
  previous: SfdcRecordState | null;
  current: SfdcRecordValues;
  expected: Omit<SfdcDecision, "next"> & { next?: SfdcRecordState };
}

const rows: Row[] = [
  { title: "first seen opted out: unsubscribe (D1)", previous: null, current: { optedOut: true, emailHash: A }, expected: { stale: false, unsubscribed: true, emailChanged: true, next: seen(true) } },
  { title: "first seen not opted out: re-subscribes nobody", previous: null, current: { optedOut: false, emailHash: A }, expected: { stale: false, emailChanged: true, next: seen(false) } },
  { title: "false→true: unsubscribe (D1)", previous: seen(false), current: { optedOut: true, emailHash: A }, expected: { stale: false, unsubscribed: true, emailChanged: false } },
  { title: "true→false: re-subscribe (D2)", previous: seen(true), current: { optedOut: false, emailHash: A }, expected: { stale: false, unsubscribed: false, emailChanged: false, next: seen(false) } },
  { title: "false, unchanged (an unrelated edit): nothing", previous: seen(false), current: { optedOut: false, emailHash: A }, expected: { stale: false, emailChanged: false } },
  { title: "true, unchanged: nothing (not a second unsubscribe)", previous: seen(true), current: { optedOut: true, emailHash: A }, expected: { stale: false, emailChanged: false } },
  { title: "opt-out not in the message: nothing, the last value is kept", previous: seen(true), current: { emailHash: A }, expected: { stale: false, emailChanged: false, next: seen(true) } },
  { title: "never sent before, now false: not a re-subscribe", previous: seen(null), current: { optedOut: false }, expected: { stale: false, emailChanged: false, next: seen(false) } },
  { title: "email changed A→B: an email change (D5)", previous: seen(false), current: { optedOut: false, emailHash: B }, expected: { stale: false, emailChanged: true, next: seen(false, B) } },
  { title: "email sent empty: not a change, remembered as empty", previous: seen(false), current: { optedOut: false, emailHash: null }, expected: { stale: false, emailChanged: false, next: seen(false, null) } },
  { title: "email not in the message: kept", previous: seen(false), current: { optedOut: false }, expected: { stale: false, emailChanged: false, next: seen(false, A) } },
  {
    title: "older SystemModstamp than applied: stale, nothing changes",
    previous: seen(true, A, T1),
    current: { optedOut: false, emailHash: B, modifiedAt: T0 },
    expected: { stale: true, emailChanged: false, next: seen(true, A, T1) },
  },
  {
    title: "newer SystemModstamp: applied and remembered",
    previous: seen(true, A, T0),
    current: { optedOut: false, emailHash: A, modifiedAt: T1 },
    expected: { stale: false, unsubscribed: false, emailChanged: false, next: seen(false, A, T1) },
  },
];

describe("decideOnNotification", () => {
  it.each(rows)("$title", ({ previous, current, expected }) => {
    const decision = decideOnNotification(previous, current);
    const { next, ...rest } = expected;
    expect(decision).toMatchObject(rest);
    if (!("unsubscribed" in rest)) expect(decision.unsubscribed).toBeUndefined();
    if (next) expect(decision.next).toEqual(next);
  });
});

describe("Salesforce ids", () => {
  it("computes the 18-character form (known pairs)", () => {
    expect(salesforceId18("00D000000000062")).toBe("00D000000000062EAA");
    expect(salesforceId18("001A000000ABCDe")).toBe("001A000000ABCDeIAP");
    expect(salesforceId18("001A000000ABCDeXXX")).toBe("001A000000ABCDeIAP");
  });

  it("compares on the first 15 characters, case-sensitively", () => {
    expect(sameSalesforceId("00D5g000004XyZa", salesforceId18("00D5g000004XyZa"))).toBe(true);
    expect(sameSalesforceId(salesforceId18("00D5g000004XyZa"), "00D5g000004XyZa")).toBe(true);
    expect(sameSalesforceId("00D5g000004XyZa", "00D5g000004xyza")).toBe(false);
    expect(sameSalesforceId("00D5g000004XyZa", "00D5g000004XyZ")).toBe(false);
    expect(isSalesforceId("00D5g000004XyZa-")).toBe(false);
  });
});
