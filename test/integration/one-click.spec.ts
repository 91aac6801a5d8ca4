/**
 * Issue 14: unsubscribe links for the sending system, RFC 8058 one-click (SPEC §4 one-click
 * channel: Reason `One-click unsubscribe`, Source `Email unsubscribe`, an Unsubscribe Email row
 * on the lead the link was made for), the link page that never changes anything, and the
 * suppression check. Through HTTP as a mail provider and a sending system call it.
 */
import { rotateLinkKey } from "../../src/persistence/instance-secrets";
import { flagRow, Reasons, type LeadDriver } from "../support/lead-driver";
import { useTestApp } from "../support/use-test-app";
import { startTestApp, TEST_ADMIN_TOKEN, type TestApp } from "../support/test-app";

const ONE_CLICK = { reason: "One-click unsubscribe", source: "Email unsubscribe" } as const;

describe("one-click unsubscribe links (issue 14, SPEC §4 one-click channel)", () => {
  let app: TestApp;
  let d: LeadDriver;
  useTestApp((a, leads) => {
    app = a;
    d = leads;
  });

  const linksFor = async (body: Record<string, unknown>): Promise<{ email?: string; leadId?: number; url?: string; error?: string }[]> => {
    const res = await app.admin("POST", "/unsubscribe-links", body);
    expect(res.status).toBe(200);
    return res.body;
  };
  /** The link's path on this test server (PUBLIC_URL is what the sending system puts in emails). */
  const local = (url: string) => `${app.url}${new URL(url).pathname}`;
  const counts = async () => {
    const out: Record<string, number> = {};
    for (const t of ["lead", "activity", "email_status", "email_status_history"]) out[t] = Number((await app.dataSource.query(`SELECT count(*)::int AS n FROM ${t}`))[0].n);
    return out;
  };
  const oneClick = (url: string, body: BodyInit, headers: Record<string, string> = {}) => fetch(local(url), { method: "POST", redirect: "manual", headers, body });
  const form = () => new URLSearchParams({ "List-Unsubscribe": "One-Click" });

  it("answers a link per address or lead, under PUBLIC_URL (else the request's host), with no plaintext address in it", async () => {
    const [lead] = await d.createDuplicates([{ email: "ana@example.com" }]);
    const links = await linksFor({ emails: ["bob@example.com", "not an email"], leadIds: [lead, 999999], label: "Spring newsletter" });
    expect(links).toHaveLength(4);
    expect(links[0]).toMatchObject({ email: "bob@example.com", url: expect.stringMatching(/^http:\/\/127\.0\.0\.1:\d+\/u\/[0-9a-f]{8}\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]{43}$/) });
    expect(links[1]).toMatchObject({ email: "not an email", error: "not an email address" });
    expect(links[2]).toMatchObject({ email: "ana@example.com", leadId: lead });
    expect(links[3]).toMatchObject({ leadId: 999999, error: "no such lead" });
    for (const l of links.filter((x) => x.url)) {
      const token = new URL(l.url as string).pathname.split("/")[2];
      const decoded = token.split(".").map((part) => Buffer.from(part, "base64url").toString("latin1")).join(" ");
      expect(decoded.toLowerCase()).not.toContain("example.com");
    }
    expect((await app.admin("POST", "/unsubscribe-links", {})).status).toBe(400);

    const behind = await startTestApp({ PUBLIC_URL: "https://mail.example.net/" });
    try {
      const [viaPublic] = (await behind.admin("POST", "/unsubscribe-links", { emails: ["bob@example.com"] })).body as { url: string }[];
      expect(viaPublic.url).toMatch(/^https:\/\/mail\.example\.net\/u\//);
    } finally {
      await behind.stop();
    }
  });

  it.each([
    ["application/x-www-form-urlencoded", () => form()],
    [
      "multipart/form-data",
      () => {
        const f = new FormData();
        f.set("List-Unsubscribe", "One-Click");
        return f;
      },
    ],
  ])("a one-click POST (%s) unsubscribes every duplicate in every partition (D1), with the channel's rows; again is a no-op", async (_type, body) => {
    const [l1, l2] = await d.createDuplicates([{ email: "cat@example.com" }, { email: "cat@example.com" }]);
    const l3 = await d.adminCreate({ email: "CAT@example.com", partition: "EMEA", createPartition: true });
    const [bystander] = await d.createDuplicates([{ email: "dan@example.com" }]);
    const [link] = await linksFor({ leadIds: [l2], label: "Spring newsletter" });

    const res = await oneClick(link.url as string, body());
    expect(res.status).toBe(200);
    expect(res.headers.get("set-cookie")).toBeNull();
    expect(await res.text()).toBe("Unsubscribed.\n");

    expect(await d.flagsOf([l1, l2, l3, bystander])).toEqual(["1", "1", "1", "0"]);
    expect(await d.flagRows(l2)).toEqual([flagRow(false, true, ONE_CLICK.reason, l2, ONE_CLICK.source)]);
    for (const id of [l1, l3]) expect(await d.flagRows(id)).toEqual([flagRow(false, true, Reasons.propagate, id, ONE_CLICK.source)]);
    const unsubscribeEmail = (await d.activities(l2)).filter((a) => a.type === "Unsubscribe Email");
    expect(unsubscribeEmail).toEqual([{ type: "Unsubscribe Email", asset: "Spring newsletter", attributes: { Source: ONE_CLICK.source, Reason: ONE_CLICK.reason, "Lead ID": String(l2) } }]);
    expect((await d.activities(l1)).filter((a) => a.type === "Unsubscribe Email")).toEqual([]);
    expect((await d.historyOf("cat@example.com"))[0]).toEqual({ unsubscribed: true, channel: "oneClick", reason: ONE_CLICK.reason, source: ONE_CLICK.source, leadId: l2 });

    const before = await counts();
    expect((await oneClick(link.url as string, body())).status).toBe(200);
    expect(await counts()).toEqual(before);
  });

  it("GET shows the masked address and one button, and changes nothing; the button's POST unsubscribes and confirms", async () => {
    const [lead] = await d.createDuplicates([{ email: "eve@example.com" }]);
    const [link] = await linksFor({ emails: ["eve@example.com"] });
    const before = await counts();
    for (let i = 0; i < 3; i++) {
      const res = await fetch(local(link.url as string), { redirect: "manual" });
      expect(res.status).toBe(200);
      expect(res.headers.get("set-cookie")).toBeNull();
      const page = await res.text();
      expect(page).toContain("e**@example.com");
      expect(page).not.toContain("eve@example.com");
      expect(page).toMatch(/<form method="post"><input type="hidden" name="confirm" value="yes"><button type="submit">Unsubscribe<\/button><\/form>/);
    }
    expect(await counts()).toEqual(before);
    expect(await d.flagsOf([lead])).toEqual(["0"]);

    const res = await oneClick(link.url as string, new URLSearchParams({ confirm: "yes" }), { "content-type": "application/x-www-form-urlencoded" });
    expect(res.status).toBe(200);
    expect(await res.text()).toContain("You will get no more email at this address.");
    expect(await d.flagsOf([lead])).toEqual(["1"]);
    // A link made by address (no lead named): the address's latest lead gets the channel's row.
    expect(await d.flagRows(lead)).toEqual([flagRow(false, true, ONE_CLICK.reason, lead, ONE_CLICK.source)]);
  });

  it("a tampered or unknown token is 404 for GET and POST, and changes nothing", async () => {
    await d.createDuplicates([{ email: "fay@example.com" }]);
    const [link] = await linksFor({ emails: ["fay@example.com"] });
    const url = link.url as string;
    const before = await counts();
    const tampered = [url.slice(0, -2) + (url.endsWith("AA") ? "BB" : "AA"), url.replace(/\/u\/[0-9a-f]{8}/, "/u/00000000"), `${new URL(url).origin}/u/garbage`];
    for (const bad of tampered) {
      expect((await fetch(local(bad))).status).toBe(404);
      expect((await oneClick(bad, form())).status).toBe(404);
    }
    expect(await counts()).toEqual(before);
  });

  it("an address with no lead is unsubscribed by its link, and is in the suppression export; a lead created later starts unsubscribed (D3)", async () => {
    const [link] = await linksFor({ emails: ["gus@example.com"] });
    expect((await oneClick(link.url as string, form())).status).toBe(200);
    const exported = await (await fetch(`${app.url}/admin/api/email-status?unsubscribed=true`, { headers: { authorization: `Bearer ${TEST_ADMIN_TOKEN}` } })).text();
    expect(exported).toContain('"email":"gus@example.com"');
    const [created] = await d.createDuplicates([{ email: "gus@example.com" }]);
    expect(await d.flagsOf([created])).toEqual(["1"]);
  });

  it("a master row that knows only the hash takes the address from the next write that brings it", async () => {
    // As a one-click by hash alone leaves it (e.g. a link made before its address was remembered).
    const [link] = await linksFor({ emails: ["hid@example.com"] });
    await app.dataSource.query(`UPDATE email_status SET email = '' WHERE email <> ''`);
    expect((await oneClick(link.url as string, form())).status).toBe(200);
    await d.createDuplicates([{ email: "hid@example.com" }]);
    expect((await app.dataSource.query(`SELECT email, unsubscribed FROM email_status`))[0]).toEqual({ email: "hid@example.com", unsubscribed: true });
  });

  it("a path that does not decode is 404, not an error", async () => {
    for (const bad of ["/u/%", "/u/%E0%A4%A"]) {
      expect((await fetch(`${app.url}${bad}`)).status).toBe(404);
      expect((await fetch(`${app.url}${bad}`, { method: "POST", body: form() })).status).toBe(404);
    }
  });

  it("links keep working after the address's leads are erased; the suppression check finds erased addresses by hash", async () => {
    await d.createDuplicates([{ email: "hal@example.com" }, { email: "hal@example.com" }]);
    await d.createDuplicates([{ email: "ivy@example.com", unsubscribed: true }]);
    const [link] = await linksFor({ emails: ["hal@example.com"] });
    expect((await app.admin("POST", "/erase", { email: "hal@example.com" })).status).toBe(200);
    const page = await (await fetch(local(link.url as string))).text();
    expect(page).toContain("this address");
    expect((await oneClick(link.url as string, form())).status).toBe(200);

    // A link asked for the erased address does not bring its plaintext back (it stays out of the export).
    await linksFor({ emails: ["hal@example.com"] });
    const exported = await (await fetch(`${app.url}/admin/api/email-status?unsubscribed=true`, { headers: { authorization: `Bearer ${TEST_ADMIN_TOKEN}` } })).text();
    expect(exported).not.toContain("hal@example.com");
    const check = await app.admin("POST", "/email-status/check", { emails: ["HAL@example.com", "ivy@example.com", "new@example.com", "nope"] });
    expect(check.status).toBe(200);
    expect(check.body).toEqual([
      { email: "HAL@example.com", unsubscribed: true },
      { email: "ivy@example.com", unsubscribed: true },
      { email: "new@example.com", unsubscribed: false },
      { email: "nope", unsubscribed: false, error: "not an email address" },
    ]);
    expect((await app.admin("POST", "/email-status/check", { emails: Array.from({ length: 10_001 }, (_, i) => `x${i}@example.com`) })).status).toBe(400);
  });

  it("after key rotations old links work for their grace time, and are 404 once it has passed", async () => {
    await d.createDuplicates([{ email: "jo@example.com" }, { email: "kim@example.com" }, { email: "lu@example.com" }]);
    const [first] = await linksFor({ emails: ["jo@example.com"] });
    await rotateLinkKey(app.dataSource, 30);
    // Links made by a process that read the new key…
    const other = await startTestApp();
    try {
      const [second] = (await other.admin("POST", "/unsubscribe-links", { emails: ["kim@example.com"] })).body as { url: string }[];
      // …are taken by a process that still had the old keys (an unknown key makes it re-read them,
      // at most twice a second).
      await new Promise((r) => setTimeout(r, 600));
      expect((await oneClick(second.url, form())).status).toBe(200);
      // Rotating again with no grace ends the second key's links, not the first's (it keeps its 30 days).
      await rotateLinkKey(app.dataSource, 0);
      const third = await startTestApp();
      try {
        const [link] = (await third.admin("POST", "/unsubscribe-links", { emails: ["lu@example.com"] })).body as { url: string }[];
        const viaThird = (url: string) => fetch(`${third.url}${new URL(url).pathname}`, { method: "POST", body: form() });
        const before = await counts();
        expect((await viaThird(second.url)).status).toBe(404);
        expect(await counts()).toEqual(before);
        expect((await viaThird(first.url as string)).status).toBe(200);
        expect((await viaThird(link.url)).status).toBe(200);
      } finally {
        await third.stop();
      }
    } finally {
      await other.stop();
    }
  });
});
