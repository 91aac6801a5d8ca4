/**
 * The person page (SPEC §4, web UI under /ui) at the HTTP level, without a browser: login and
 * its session cookie, CSRF on every form, escaping of every value, the search, and the
 * Unsubscribed box and Delete going through the person-page channel. The browser walk-through
 * is test/browser/person-page.spec.ts.
 */
import { assertInvariant } from "../support/invariant";
import { startTestApp, type TestApp } from "../support/test-app";
import { tableRows, UiClient } from "../support/web-ui";

interface LeadView {
  id: number;
  email: string;
  unsubscribed: boolean;
}

describe("person page over HTTP (SPEC §4 person page)", () => {
  let app: TestApp;
  let ui: UiClient;

  beforeAll(async () => {
    app = await startTestApp();
  });
  afterAll(async () => {
    await app.stop();
  });
  beforeEach(async () => {
    await app.reset();
    ui = new UiClient(app.url);
  });
  afterEach(async () => {
    await assertInvariant(app.dataSource);
  });

  const createLead = async (body: Record<string, unknown>): Promise<number> => {
    const res = await app.admin("POST", "/leads", body);
    expect(res.status).toBe(201);
    return res.body.id as number;
  };
  const leadView = async (id: number): Promise<LeadView> => {
    const res = await app.admin("GET", `/leads/${id}`);
    expect(res.status).toBe(200);
    return res.body as LeadView;
  };

  describe("login", () => {
    it.each(["/ui", "/ui/", "/ui/leads/1", "/ui/leads/1/email-status"])("GET %s without a session redirects to the login page", async (path) => {
      const res = await ui.get(path);
      expect(res.status).toBe(303);
      expect(res.location).toBe("/ui/login");
    });

    it("a POST without a session changes nothing and redirects to the login page", async () => {
      const id = await createLead({ email: "nologin@example.com" });
      const res = await ui.post(`/ui/leads/${id}/delete`, { confirm: "yes", _csrf: "x" });
      expect(res.status).toBe(303);
      expect(res.location).toBe("/ui/login");
      expect((await leadView(id)).id).toBe(id);
    });

    it("the login page is served, with a viewport for phones and a strict content security policy", async () => {
      const res = await ui.get("/ui/login");
      expect(res.status).toBe(200);
      expect(res.body).toContain('<meta name="viewport" content="width=device-width, initial-scale=1">');
      expect(res.headers.get("content-security-policy")).toContain("default-src 'none'");
      expect(res.headers.get("cache-control")).toBe("no-store");
    });

    it("a wrong token is refused with 401 and no cookie", async () => {
      const res = await ui.login("not-the-token");
      expect(res.status).toBe(401);
      expect(res.headers.get("set-cookie")).toBeNull();
      expect(res.body).toContain("That is not the admin token.");
      expect((await ui.get("/ui/")).status).toBe(303);
    });

    it("the admin token gives an HttpOnly, SameSite=Strict session cookie that opens /ui", async () => {
      const res = await ui.login();
      expect(res.status).toBe(303);
      expect(res.location).toBe("/ui/");
      const cookie = res.headers.get("set-cookie") ?? "";
      expect(cookie).toMatch(/^mktows_ui=[^;]+; Path=\/ui; HttpOnly; SameSite=Strict; Max-Age=\d+$/);
      const page = await ui.get("/ui/");
      expect(page.status).toBe(200);
      expect(page.body).toContain("Search leads");
    });

    it("a tampered session cookie, or one signed with another token, is refused", async () => {
      await ui.login();
      const good = ui.cookie;
      // A later issue time (a session that would never expire) breaks the signature.
      ui.cookie = good.replace(/=(\d+)\./, (_m, t: string) => `=${Number(t) + 3600}.`);
      expect(ui.cookie).not.toBe(good);
      expect((await ui.get("/ui/")).status).toBe(303);

      const other = await startTestApp({ ADMIN_TOKEN: "another-admin-token-9876543210" });
      try {
        const otherUi = new UiClient(other.url);
        await otherUi.login("another-admin-token-9876543210");
        ui.cookie = otherUi.cookie;
        expect((await ui.get("/ui/")).status).toBe(303);
      } finally {
        await other.stop();
      }
      ui.cookie = good;
      expect((await ui.get("/ui/")).status).toBe(200);
    });

    it("logging out clears the cookie", async () => {
      await ui.login();
      const res = await ui.post("/ui/logout", { _csrf: await ui.csrfOf("/ui/") });
      expect(res.status).toBe(303);
      expect(res.headers.get("set-cookie")).toMatch(/^mktows_ui=; .*Max-Age=0/);
    });
  });

  describe("CSRF", () => {
    it("a form without the session's CSRF token is refused with 403 and changes nothing", async () => {
      const id = await createLead({ email: "csrf@example.com" });
      await ui.login();
      const other = new UiClient(app.url);
      await other.login();
      const otherToken = await other.csrfOf("/ui/");

      const forms: Record<string, string>[] = [{}, { _csrf: "" }, { _csrf: "forged" }, { _csrf: otherToken }];
      for (const form of forms) {
        const unsub = await ui.post(`/ui/leads/${id}/unsubscribed`, { ...form, unsubscribed: "1", was: "0" });
        expect(unsub.status).toBe(403);
        const del = await ui.post(`/ui/leads/${id}/delete`, { ...form, confirm: "yes" });
        expect(del.status).toBe(403);
      }
      expect((await leadView(id)).unsubscribed).toBe(false);

      // The same form with the right token goes through: the 403s above were the token.
      const ok = await ui.post(`/ui/leads/${id}/unsubscribed`, { _csrf: await ui.csrfOf(`/ui/leads/${id}`), unsubscribed: "1", was: "0" });
      expect(ok.status).toBe(303);
      expect((await leadView(id)).unsubscribed).toBe(true);
    });
  });

  describe("escaping", () => {
    const evilFirst = `<script>alert("first")</script>`;
    const evilLast = `"><img src=x onerror=alert(1)>`;

    it("values from leads are HTML-escaped on every page", async () => {
      const id = await createLead({ email: "o'brien+<b>@example.com", fields: { FirstName: evilFirst, LastName: evilLast, Company: "A & B" } });
      await app.admin("PATCH", `/leads/${id}`, { unsubscribed: true });
      await ui.login();
      const pages = [`/ui/?q=${encodeURIComponent("o'brien")}`, `/ui/leads/${id}`, `/ui/leads/${id}/activity`, `/ui/leads/${id}/email-status`, `/ui/leads/${id}/delete`, `/ui/leads/${id}/resubscribe`];
      for (const path of pages) {
        const res = await ui.get(path);
        expect(res.status).toBe(200);
        expect(res.body).not.toContain("<script");
        expect(res.body).not.toContain("<img");
        expect(res.body).not.toContain("<b>");
        expect(res.body).toContain("&lt;script&gt;alert(&quot;first&quot;)&lt;/script&gt;");
        expect(res.body).toContain("o&#39;brien+&lt;b&gt;@example.com");
      }
      const info = await ui.get(`/ui/leads/${id}`);
      expect(info.body).toContain("&quot;&gt;&lt;img src=x onerror=alert(1)&gt;");
      expect(info.body).toContain("A &amp; B");
    });

    it("the search text is escaped where the page repeats it", async () => {
      await ui.login();
      const res = await ui.get(`/ui/?q=${encodeURIComponent(`"><script>alert(1)</script>`)}`);
      expect(res.status).toBe(200);
      expect(res.body).not.toContain("<script");
      expect(res.body).toContain('value="&quot;&gt;&lt;script&gt;alert(1)&lt;/script&gt;"');
    });
  });

  describe("search", () => {
    it("finds leads by id, by a part of the address in any case, and by name", async () => {
      const ada = await createLead({ email: "Ada.Lovelace@Example.com", fields: { FirstName: "Ada", LastName: "Lovelace" } });
      const ada2 = await createLead({ email: "ada.lovelace@example.com", partition: "EMEA", createPartition: true });
      const grace = await createLead({ email: "grace@navy.example", fields: { FirstName: "Grace", LastName: "Hopper" } });
      await ui.login();
      const ids = async (q: string): Promise<number[]> => {
        const res = await ui.get(`/ui/?q=${encodeURIComponent(q)}`);
        expect(res.status).toBe(200);
        return tableRows(res.body).map((cells) => Number(cells[0]));
      };
      expect((await ids("ADA.LOVELACE@example.COM")).sort()).toEqual([ada, ada2].sort());
      expect(await ids("navy")).toEqual([grace]);
      expect(await ids("grace hop")).toEqual([grace]);
      expect(await ids(String(grace))).toContain(grace);
      expect(await ids("nobody-like-this")).toEqual([]);
      expect((await ui.get(`/ui/?q=nobody-like-this`)).body).toContain("No lead matches");
    });

    it("pages past 50 matches and says so (issue 13), each lead on one page", async () => {
      for (let i = 0; i < 55; i++) await createLead({ email: `many${String(i).padStart(2, "0")}@example.com` });
      await ui.login();
      const first = await ui.get(`/ui/?q=many`);
      expect(tableRows(first.body)).toHaveLength(50);
      expect(first.body).toMatch(/Leads 1–50 \(more match: <a href="\/ui\/\?q=many&amp;page=2">next page<\/a>\)/);
      const second = await ui.get(`/ui/?q=many&page=2`);
      expect(tableRows(second.body)).toHaveLength(5);
      expect(second.body).toContain("Leads 51–55");
      expect(second.body).not.toContain("next page");
      const ids = [...tableRows(first.body), ...tableRows(second.body)].map((c) => Number(c[0]));
      expect(new Set(ids).size).toBe(55);
    });

    it("looks up an address that has no lead (issue 13): its status, and its history page", async () => {
      const gone = await createLead({ email: "gone@example.com", unsubscribed: true, unsubscribedReason: "asked" });
      expect((await app.admin("DELETE", `/leads/${gone}`)).status).toBe(204);
      await ui.login();
      const res = await ui.get(`/ui/?q=${encodeURIComponent("Gone@Example.com")}`);
      expect(res.body).toContain("No lead matches");
      expect(res.body).toMatch(/id="address-status"[\s\S]*Unsubscribed[\s\S]*Admin API/);
      const history = await ui.get(`/ui/address?email=${encodeURIComponent("gone@example.com")}`);
      expect(history.status).toBe(200);
      expect(history.body).toContain("History, newest first");
      expect(tableRows(history.body)[0]).toEqual(expect.arrayContaining(["Unsubscribed", "Admin API"]));
      expect((await ui.get(`/ui/address?email=nope`)).status).toBe(400);
    });
  });

  describe("Info, Delete", () => {
    it("checking Unsubscribed unsubscribes the address through the person-page channel", async () => {
      const a = await createLead({ email: "check@example.com", partition: "P1", createPartition: true });
      const b = await createLead({ email: "CHECK@example.com", partition: "P2", createPartition: true });
      await ui.login();
      const res = await ui.post(`/ui/leads/${a}/unsubscribed`, { _csrf: await ui.csrfOf(`/ui/leads/${a}`), unsubscribed: "1", was: "0" });
      expect(res.status).toBe(303);
      expect(res.location).toBe(`/ui/leads/${a}?done=unsubscribed&n=2`);
      expect((await ui.get(res.location)).body).toContain("Unsubscribed: 2 leads with this address are now unsubscribed.");
      // The Info tab shows why (issue 13).
      const info = (await ui.get(`/ui/leads/${b}`)).body;
      expect(info).toContain("<dt>Unsubscribed Reason</dt><dd>Manual person edit</dd>");
      expect(info).toMatch(/<dt>Unsubscribed<\/dt><dd><time [^>]+>[^<]+<\/time> via personPage<\/dd>/);
      expect((await leadView(a)).unsubscribed).toBe(true);
      expect((await leadView(b)).unsubscribed).toBe(true);
      const status = await app.admin("GET", "/email-status/check@example.com");
      expect(status.body.history[0]).toMatchObject({ unsubscribed: true, channel: "personPage", reason: "Manual person edit", source: "Lead update", leadId: a });
      const activity = await ui.get(`/ui/leads/${a}/activity`);
      expect(tableRows(activity.body)[0].slice(1)).toEqual(["Change Data Value", "Unsubscribed", "false", "true", "Manual person edit", "Lead update"]);
    });

    it("clearing Unsubscribed asks first and changes nothing until confirmed", async () => {
      const a = await createLead({ email: "clear@example.com", unsubscribed: true });
      await createLead({ email: "clear@example.com", partition: "P2", createPartition: true });
      await ui.login();
      const res = await ui.post(`/ui/leads/${a}/unsubscribed`, { _csrf: await ui.csrfOf(`/ui/leads/${a}`), was: "1" });
      expect(res.status).toBe(303);
      expect(res.location).toBe(`/ui/leads/${a}/resubscribe`);
      expect((await leadView(a)).unsubscribed).toBe(true);
      const confirm = await ui.get(res.location);
      expect(confirm.body).toContain("2 leads</strong> share the address");
      const done = await ui.post(`/ui/leads/${a}/resubscribe`, { _csrf: await ui.csrfOf(`/ui/leads/${a}`) });
      expect(done.location).toBe(`/ui/leads/${a}?done=resubscribed&n=2`);
      expect((await leadView(a)).unsubscribed).toBe(false);
    });

    it("a form loaded before someone else changed the lead saves nothing", async () => {
      const a = await createLead({ email: "stale@example.com" });
      await ui.login();
      const csrf = await ui.csrfOf(`/ui/leads/${a}`);
      await app.admin("PATCH", `/leads/${a}`, { unsubscribed: true });
      // The form showed "subscribed" (was=0) and the box untouched: not a request to re-subscribe.
      const res = await ui.post(`/ui/leads/${a}/unsubscribed`, { _csrf: csrf, was: "0" });
      expect(res.location).toBe(`/ui/leads/${a}?done=stale`);
      expect((await leadView(a)).unsubscribed).toBe(true);
    });

    it("Delete needs its confirmation box; the address keeps its status (D4)", async () => {
      const a = await createLead({ email: "gone@example.com", unsubscribed: true });
      await ui.login();
      const csrf = await ui.csrfOf(`/ui/leads/${a}/delete`);
      expect((await ui.post(`/ui/leads/${a}/delete`, { _csrf: csrf })).status).toBe(400);
      expect((await leadView(a)).id).toBe(a);
      const res = await ui.post(`/ui/leads/${a}/delete`, { _csrf: csrf, confirm: "yes" });
      expect(res.status).toBe(303);
      expect((await app.admin("GET", `/leads/${a}`)).status).toBe(404);
      expect((await ui.get(res.location)).body).toContain(`Lead ${a} was deleted.`);
      expect((await ui.get(`/ui/leads/${a}`)).status).toBe(404);
      expect((await app.admin("GET", "/email-status/gone@example.com")).body.unsubscribed).toBe(true);
      const rows = (await app.dataSource.query(`SELECT attributes FROM activity WHERE lead_id = $1 AND type_name = 'Delete Lead'`, [a])) as { attributes: { name: string; value: string }[] }[];
      expect(rows[0].attributes).toContainEqual({ name: "Reason", value: "Manual person edit" });
    });

    it("Erase deletes every lead with the address and keeps it unsubscribed without its plaintext (SPEC §1)", async () => {
      const a = await createLead({ email: "erase.me@example.com" });
      const b = (await app.admin("POST", "/leads", { email: "Erase.Me@example.com", partition: "Elsewhere", createPartition: true })).body.id as number;
      await ui.login();
      const page = await ui.get(`/ui/leads/${a}/delete`);
      expect(page.body).toContain("Erase this person");
      expect(page.body).toContain("all 2 leads");
      const csrf = await ui.csrfOf(`/ui/leads/${a}/delete`);
      expect((await ui.post(`/ui/leads/${a}/erase`, { _csrf: csrf })).status).toBe(400);
      expect((await leadView(b)).id).toBe(b);
      const res = await ui.post(`/ui/leads/${a}/erase`, { _csrf: csrf, confirm: "yes" });
      expect(res.status).toBe(303);
      expect((await ui.get(res.location)).body).toContain("Erased: 2 leads deleted");
      expect((await app.admin("GET", `/leads/${a}`)).status).toBe(404);
      expect((await app.admin("GET", `/leads/${b}`)).status).toBe(404);
      const status = await app.admin("GET", "/email-status/erase.me@example.com");
      expect(status.body).toMatchObject({ email: "", unsubscribed: true });
      expect(status.body.history[0]).toMatchObject({ reason: "erased", channel: "personPage", source: "Lead update" });
    });
  });

});
