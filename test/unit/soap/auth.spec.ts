/** Marketo's request signature and header check (reference §2, SPEC §5). */
import { parseTimestamp, sign, verifyAuthenticationHeader, type ApiUser, type AuthenticationHeader } from "../../../src/soap/auth";
import { MarketoFault } from "../../../src/soap/faults";

const USER: ApiUser = { id: "bigcorp1_461839624B16E06BA2D663", encryptionKey: "899756834129871744AAEE88DDCC77CDEEDEC1AAAD66" };
const VECTOR_TIMESTAMP = "2010-04-09T14:04:54-07:00";
const VECTOR_SIGNATURE = "ffbff4d4bef354807481e66dc7540f7890523a87";
const VECTOR_INSTANT = new Date("2010-04-09T21:04:54Z");
const WINDOW = 900;

const findUser = (id: string): ApiUser | undefined => (id === USER.id ? USER : undefined);

function header(timestamp: string, overrides: Partial<Record<keyof AuthenticationHeader, unknown>> = {}): AuthenticationHeader {
  return { mktowsUserId: USER.id, requestSignature: sign(timestamp, USER.id, USER.encryptionKey), requestTimestamp: timestamp, ...overrides };
}

/** The fault code a verification throws, or "ok". */
function outcome(h: AuthenticationHeader | undefined, now: Date): number | "ok" {
  try {
    verifyAuthenticationHeader(h, findUser, now, WINDOW);
    return "ok";
  } catch (error) {
    if (error instanceof MarketoFault) return error.code;
    throw error;
  }
}

describe("sign", () => {
  it("reproduces Marketo's published test vector", () => {
    expect(sign(VECTOR_TIMESTAMP, USER.id, USER.encryptionKey)).toBe(VECTOR_SIGNATURE);
  });

  it("signs the literal timestamp text: another spelling of the same instant gives another signature", () => {
    expect(sign("2010-04-09T21:04:54Z", USER.id, USER.encryptionKey)).not.toBe(VECTOR_SIGNATURE);
  });
});

describe("verifyAuthenticationHeader", () => {
  it("accepts the test vector at its own time and returns the user", () => {
    const h = { mktowsUserId: USER.id, requestSignature: VECTOR_SIGNATURE, requestTimestamp: VECTOR_TIMESTAMP };
    expect(verifyAuthenticationHeader(h, findUser, VECTOR_INSTANT, WINDOW)).toBe(USER);
  });

  it("accepts the signature in upper case", () => {
    const h = { mktowsUserId: USER.id, requestSignature: VECTOR_SIGNATURE.toUpperCase(), requestTimestamp: VECTOR_TIMESTAMP };
    expect(outcome(h, VECTOR_INSTANT)).toBe("ok");
  });

  it.each<[string, AuthenticationHeader | undefined]>([
    ["a missing header", undefined],
    ["an empty header", {}],
    ["a header without a signature", { mktowsUserId: USER.id, requestTimestamp: VECTOR_TIMESTAMP }],
    ["a header without a user id", { requestSignature: VECTOR_SIGNATURE, requestTimestamp: VECTOR_TIMESTAMP }],
    ["a header without a timestamp", { mktowsUserId: USER.id, requestSignature: VECTOR_SIGNATURE }],
    ["a wrong signature", { mktowsUserId: USER.id, requestSignature: "0".repeat(40), requestTimestamp: VECTOR_TIMESTAMP }],
    ["a truncated signature", { mktowsUserId: USER.id, requestSignature: VECTOR_SIGNATURE.slice(0, 39), requestTimestamp: VECTOR_TIMESTAMP }],
    ["a signature made with another key", header(VECTOR_TIMESTAMP, { requestSignature: sign(VECTOR_TIMESTAMP, USER.id, "another-key") })],
    ["a signature over another timestamp", header(VECTOR_TIMESTAMP, { requestSignature: sign("2010-04-09T14:04:55-07:00", USER.id, USER.encryptionKey) })],
    ["an unknown user (signed with the right key)", { mktowsUserId: "nobody", requestSignature: sign(VECTOR_TIMESTAMP, "nobody", USER.encryptionKey), requestTimestamp: VECTOR_TIMESTAMP }],
    ["an unknown user signed with the fallback text", { mktowsUserId: "nobody", requestSignature: sign(VECTOR_TIMESTAMP, "nobody", "no such user"), requestTimestamp: VECTOR_TIMESTAMP }],
  ])("answers %s with 20014", (_title, h) => {
    expect(outcome(h, VECTOR_INSTANT)).toBe(20014);
  });

  it("answers 20014 with the faultstring Marketo sends", () => {
    expect(() => verifyAuthenticationHeader(undefined, findUser, VECTOR_INSTANT, WINDOW)).toThrow(
      expect.objectContaining({ code: 20014, faultstring: "20014 - Authentication failed" }),
    );
  });

  it.each([
    ["W3C with Z", "2010-04-09T21:04:54Z"],
    ["W3C with +00:00", "2010-04-09T21:04:54+00:00"],
    ["W3C with -07:00", "2010-04-09T14:04:54-07:00"],
    ["offset without colon", "2010-04-10T06:04:54+0900"],
    ["Ruby Time#to_s", "2010-04-10 06:04:54 +0900"],
    ["fractional seconds", "2010-04-09T21:04:54.250Z"],
  ])("accepts a correctly signed timestamp in the form %s", (_title, timestamp) => {
    expect(outcome(header(timestamp), VECTOR_INSTANT)).toBe("ok");
  });

  it.each(["yesterday", "", "2010-04-09", "2010-02-30T10:00:00Z", "2010-04-09T25:00:00Z", "2010-04-09T14:04:54+15:00", "1270847094"])(
    "answers a correctly signed unparseable timestamp %j with 20016",
    (timestamp) => {
      expect(outcome(header(timestamp), VECTOR_INSTANT)).toBe(20016);
    },
  );

  it.each([
    ["15 minutes and 1 second old", -901],
    ["1 hour old", -3600],
    ["15 minutes and 1 second in the future", 901],
    ["1 day in the future", 86400],
  ])("answers a timestamp %s with 20016", (_title, offsetSeconds) => {
    const at = new Date(VECTOR_INSTANT.getTime() + offsetSeconds * 1000);
    const timestamp = at.toISOString().replace(/\.\d{3}Z$/, "+00:00");
    expect(outcome(header(timestamp), VECTOR_INSTANT)).toBe(20016);
  });

  it.each([
    ["exactly 15 minutes old", -900],
    ["exactly 15 minutes in the future", 900],
    ["14 minutes old", -840],
  ])("accepts a timestamp %s", (_title, offsetSeconds) => {
    const at = new Date(VECTOR_INSTANT.getTime() + offsetSeconds * 1000);
    const timestamp = at.toISOString().replace(/\.\d{3}Z$/, "+00:00");
    expect(outcome(header(timestamp), VECTOR_INSTANT)).toBe("ok");
  });

  it("checks the signature before the timestamp: a bad signature on a stale request is 20014", () => {
    const stale = "2000-01-01T00:00:00Z";
    expect(outcome(header(stale, { requestSignature: "0".repeat(40) }), VECTOR_INSTANT)).toBe(20014);
  });
});

describe("parseTimestamp", () => {
  it.each([
    ["2010-04-09T14:04:54-07:00", "2010-04-09T21:04:54.000Z"],
    ["2016-10-18T19:19:16Z", "2016-10-18T19:19:16.000Z"],
    ["2016-10-18t19:19:16z", "2016-10-18T19:19:16.000Z"],
    ["1998-01-17T20:15:01+00:00", "1998-01-17T20:15:01.000Z"],
    ["2014-10-08T21:07:08-04:00", "2014-10-09T01:07:08.000Z"],
    ["2016-05-10T10:20:30+0900", "2016-05-10T01:20:30.000Z"],
    ["2016-05-10 10:20:30 +0900", "2016-05-10T01:20:30.000Z"],
    ["2016-05-10T10:20:30+05:30", "2016-05-10T04:50:30.000Z"],
    ["2016-05-10T10:20:30.5Z", "2016-05-10T10:20:30.500Z"],
    ["2016-05-10T10:20:30.123456-07:00", "2016-05-10T17:20:30.123Z"],
    ["2016-05-10T10:20:30", "2016-05-10T10:20:30.000Z"],
    ["  2016-05-10T10:20:30Z  ", "2016-05-10T10:20:30.000Z"],
    ["2016-02-29T00:00:00Z", "2016-02-29T00:00:00.000Z"],
  ])("parses %j", (input, iso) => {
    expect(parseTimestamp(input)?.toISOString()).toBe(iso);
  });

  it.each([
    "garbage",
    "",
    "2016-05-10",
    "10:20:30",
    "2016-05-10T10:20Z",
    "2016-13-10T10:20:30Z",
    "2016-00-10T10:20:30Z",
    "2015-02-29T10:20:30Z",
    "2016-04-31T10:20:30Z",
    "2016-05-10T24:00:00Z",
    "2016-05-10T10:60:00Z",
    "2016-05-10T10:20:30+25:00",
    "2016-05-10T10:20:30+09:75",
    "2016-05-10T10:20:30 PST",
    "Tue, 10 May 2016 10:20:30 GMT",
  ])("rejects %j", (input) => {
    expect(parseTimestamp(input)).toBeUndefined();
  });
});
