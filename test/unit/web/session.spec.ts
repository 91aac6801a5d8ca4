import { readCookie, sessionCookie, SessionSigner } from "../../../src/web/session";

describe(SessionSigner.name, () => {
  let clock = 1_800_000_000;
  const signer = new SessionSigner("the-admin-token", { maxAgeSeconds: 3600, now: () => clock });

  it("accepts the admin token only, ignoring surrounding spaces", () => {
    expect(signer.checkToken("the-admin-token")).toBe(true);
    expect(signer.checkToken("  the-admin-token\n")).toBe(true);
    expect(signer.checkToken("the-admin-toke")).toBe(false);
    expect(signer.checkToken("")).toBe(false);
  });

  it("a session it issued verifies until it is older than maxAgeSeconds", () => {
    clock = 1_800_000_000;
    const cookie = signer.issue();
    expect(signer.verify(cookie)).toEqual({ nonce: expect.any(String), issuedAt: clock });
    clock += 3600;
    expect(signer.verify(cookie)).not.toBeNull();
    clock += 1;
    expect(signer.verify(cookie)).toBeNull();
  });

  it("refuses a session signed with another token, altered, or malformed", () => {
    clock = 1_800_000_000;
    const cookie = signer.issue();
    const other = new SessionSigner("another-token", { maxAgeSeconds: 3600, now: () => clock });
    expect(other.verify(cookie)).toBeNull();
    const [issued, nonce, mac] = cookie.split(".");
    expect(signer.verify(`${Number(issued) + 1}.${nonce}.${mac}`)).toBeNull();
    expect(signer.verify(`${issued}.${nonce.replace(/^./, (c) => (c === "a" ? "b" : "a"))}.${mac}`)).toBeNull();
    for (const bad of [undefined, "", "x", `${issued}.${nonce}`, `${cookie}.x`]) expect(signer.verify(bad)).toBeNull();
  });

  it("each session has its own CSRF token", () => {
    const a = signer.verify(signer.issue());
    const b = signer.verify(signer.issue());
    if (!a || !b) throw new Error("sessions did not verify");
    expect(signer.checkCsrf(a, signer.csrfToken(a))).toBe(true);
    expect(signer.checkCsrf(a, signer.csrfToken(b))).toBe(false);
    expect(signer.checkCsrf(a, undefined)).toBe(false);
    expect(signer.checkCsrf(a, [signer.csrfToken(a)])).toBe(false);
  });
});

describe("session cookie", () => {
  it("is HttpOnly, SameSite=Strict, under /ui, and Secure over HTTPS", () => {
    expect(sessionCookie("v", { maxAgeSeconds: 60, secure: false })).toBe("mktows_ui=v; Path=/ui; HttpOnly; SameSite=Strict; Max-Age=60");
    expect(sessionCookie("v", { maxAgeSeconds: 60, secure: true })).toMatch(/; Secure$/);
  });

  it("is read from a Cookie header among others", () => {
    expect(readCookie("a=1; mktows_ui=abc.def; b=2", "mktows_ui")).toBe("abc.def");
    expect(readCookie("xmktows_ui=1", "mktows_ui")).toBeUndefined();
    expect(readCookie(undefined, "mktows_ui")).toBeUndefined();
  });
});
