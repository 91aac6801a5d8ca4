/**
 * The admin API of SPEC §6 as implemented: bearer-token auth, leads (GET/POST/PATCH/DELETE),
 * the email-status view with its history, and /healthz. Errors are
 * { "error": { "code", "message" } } with 400/401/404.
 */
import { flagRow, LeadDriver, Reasons, Sources } from "../support/lead-driver";
import { TEST_ADMIN_TOKEN, type TestApp } from "../support/test-app";
import { useTestApp } from "../support/use-test-app";

interface RawResponse {
  readonly status: number;
  readonly body: unknown;
}

interface RawOptions {
  /** The whole Authorization header; omitted: no header at all. */
  readonly authorization?: string;
  readonly body?: string;
  readonly contentType?: string;
}

const bearer = `Bearer ${TEST_ADMIN_TOKEN}`;

describe("admin API (SPEC §6)", () => {
  let app: TestApp;
  let d: LeadDriver;
  useTestApp((started, driver) => {
    app = started;
    d = driver;
  });

  /** A request with full control over headers and body (app.admin always sends the right token and JSON). */
  const raw = async (method: string, path: string, options: RawOptions = {}): Promise<RawResponse> => {
    const headers: Record<string, string> = {};
    if (options.authorization !== undefined) headers.authorization = options.authorization;
    if (options.contentType !== undefined) headers["content-type"] = options.contentType;
    const res = await fetch(`${app.url}${path}`, { method, headers, body: options.body });
    const text = await res.text();
    return { status: res.status, body: text ? (JSON.parse(text) as unknown) : undefined };
  };
  const count = async (sql: string): Promise<number> => Number(((await app.dataSource.query(sql)) as { n: string }[])[0].n);
  const snapshot = async () => ({
    leads: (await app.dataSource.query(`SELECT id, email, unsubscribed, fields FROM lead ORDER BY id`)) as unknown[],
    activities: await count(`SELECT count(*) AS n FROM activity`),
    history: await count(`SELECT count(*) AS n FROM email_status_history`),
    partitions: await count(`SELECT count(*) AS n FROM partition`),
  });
  const errorBody = (code: string, message: string) => ({ error: { code, message } });

  describe("authentication", () => {
    const requests: [string, string, string | undefined][] = [
      ["GET", "/admin/api/leads/1", undefined],
      ["POST", "/admin/api/leads", JSON.stringify({ email: "eve@example.com", partition: "Evil", createPartition: true })],
      ["PATCH", "/admin/api/leads/1", JSON.stringify({ unsubscribed: true, email: "other@example.com" })],
      ["DELETE", "/admin/api/leads/1", undefined],
      ["GET", "/admin/api/email-status/ada%40example.com", undefined],
      ["GET", "/admin/api/no-such-endpoint", undefined],
    ];
    const wrongAuthorizations: [string, string | undefined][] = [
      ["no Authorization header", undefined],
      ["an empty bearer token", "Bearer "],
      ["a wrong token", "Bearer wrong-token"],
      ["the token with one character more", `${bearer}x`],
      ["the token in upper case", `Bearer ${TEST_ADMIN_TOKEN.toUpperCase()}`],
      ["the token under the Basic scheme", `Basic ${TEST_ADMIN_TOKEN}`],
    ];

    it.each(wrongAuthorizations)("answers 401 to every endpoint with %s, and changes nothing", async (_title, authorization) => {
      const id = await d.adminCreate({ email: "ada@example.com" });
      expect(id).toBe(1);
      const before = await snapshot();

      for (const [method, path, body] of requests) {
        const res = await raw(method, path, { authorization, body, contentType: body ? "application/json" : undefined });
        expect([method, path, res.status, res.body]).toEqual([method, path, 401, errorBody("unauthorized", "missing or wrong bearer token")]);
      }

      expect(await snapshot()).toEqual(before);
      expect(await d.emailStatus("ada@example.com")).toMatchObject({ unsubscribed: false, history: [] });
    });

    it("answers 401, not 400, to an unauthenticated request whose body is not JSON", async () => {
      const res = await raw("POST", "/admin/api/leads", { contentType: "application/json", body: '{"email": ' });
      expect(res).toEqual({ status: 401, body: errorBody("unauthorized", "missing or wrong bearer token") });
    });

    it("accepts the right token whatever the case of the scheme", async () => {
      const id = await d.adminCreate({ email: "ada@example.com" });
      const res = await raw("GET", `/admin/api/leads/${id}`, { authorization: `bearer ${TEST_ADMIN_TOKEN}` });
      expect(res.status).toBe(200);
      expect(res.body).toMatchObject({ id, email: "ada@example.com" });
    });

    it("GET /healthz answers without auth", async () => {
      const res = await raw("GET", "/healthz");
      expect(res).toEqual({ status: 200, body: { status: "ok", database: app.databaseKind } });
    });
  });

  describe("leads", () => {
    it("POST /leads answers 201 { id } and GET /leads/<id> shows the lead", async () => {
      const created = await app.admin("POST", "/leads", { email: "Bea@Example.com", fields: { FirstName: "Bea", LeadScore: 7, DoNotCall: true } });
      expect(created).toEqual({ status: 201, body: { id: 1 } });

      const res = await app.admin("GET", "/leads/1");
      expect(res.status).toBe(200);
      expect(res.body).toMatchObject({
        id: 1,
        email: "Bea@Example.com",
        unsubscribed: false,
        unsubscribedReason: null,
        partition: "Default",
        fields: { FirstName: "Bea", LeadScore: "7", DoNotCall: "true" },
      });
      expect(await d.activitySummary(1)).toEqual(["New Lead"]);
      const [newLead] = await d.activities(1);
      expect(newLead.attributes).toMatchObject({ "Source Type": Sources.admin, "Source Info": Reasons.admin });
    });

    it("POST /leads with createPartition creates the partition and a workspace of that name, even when the email exists elsewhere", async () => {
      const first = await d.adminCreate({ email: "cy@example.com" });
      const res = await app.admin("POST", "/leads", { email: "cy@example.com", partition: "LATAM", createPartition: true });
      expect(res.status).toBe(201);
      const second = (res.body as { id: number }).id;
      expect(second).not.toBe(first);

      expect((await app.admin("GET", `/leads/${second}`)).body).toMatchObject({ partition: "LATAM", email: "cy@example.com" });
      expect((await app.admin("GET", `/leads/${first}`)).body).toMatchObject({ partition: "Default" });
      const workspaces = (await app.dataSource.query(
        `SELECT w.name AS workspace, p.name AS partition FROM workspace w JOIN partition p ON p.id = w.primary_partition_id ORDER BY w.id`,
      )) as unknown[];
      expect(workspaces).toEqual([
        { workspace: "Default", partition: "Default" },
        { workspace: "LATAM", partition: "LATAM" },
      ]);

      const again = await app.admin("POST", "/leads", { email: "cy2@example.com", partition: "LATAM", createPartition: true });
      expect(again.status).toBe(201);
      const inExisting = await app.admin("POST", "/leads", { email: "cy3@example.com", partition: "LATAM" });
      expect(inExisting.status).toBe(201);
      expect(await count(`SELECT count(*) AS n FROM partition WHERE name = 'LATAM'`)).toBe(1);
      expect((await d.getLeadsByEmail("cy@example.com")).map((l) => l.id)).toEqual([first, second]);
    });

    it("POST /leads into a partition that does not exist, without createPartition, answers 400 and creates nothing", async () => {
      const res = await app.admin("POST", "/leads", { email: "dee@example.com", partition: "Nowhere" });
      expect(res).toEqual({ status: 400, body: errorBody("invalidValue", "partition 'Nowhere' does not exist") });
      expect(await count(`SELECT count(*) AS n FROM lead`)).toBe(0);
      expect(await count(`SELECT count(*) AS n FROM partition`)).toBe(1);
    });

    it("PATCH /leads/<id> changes fields, unsubscribed and email, and answers the lead", async () => {
      const id = await d.adminCreate({ email: "eli@example.com", fields: { City: "Oslo" } });

      const first = await app.admin("PATCH", `/leads/${id}`, { unsubscribed: true, unsubscribedReason: "asked by phone", fields: { City: "Rome" } });
      expect(first.status).toBe(200);
      expect(first.body).toMatchObject({ id, email: "eli@example.com", unsubscribed: true, unsubscribedReason: "asked by phone", fields: { City: "Rome" } });

      const second = await app.admin("PATCH", `/leads/${id}`, { email: "eli.new@example.com" });
      expect(second.status).toBe(200);
      expect(second.body).toMatchObject({ id, email: "eli.new@example.com", unsubscribed: false });

      expect((await app.admin("GET", `/leads/${id}`)).body).toMatchObject({ email: "eli.new@example.com", unsubscribed: false, fields: { City: "Rome" } });
      expect(await d.flagRows(id)).toEqual([flagRow(true, false, Reasons.reset, id, Sources.admin), flagRow(false, true, Reasons.admin, id, Sources.admin)]);
      expect(await d.emailStatus("eli@example.com")).toMatchObject({ unsubscribed: true });
    });

    it("PATCH with an empty email keeps the email", async () => {
      const id = await d.adminCreate({ email: "fin@example.com" });
      const res = await app.admin("PATCH", `/leads/${id}`, { email: "", fields: { FirstName: "Fin" } });
      expect(res.status).toBe(200);
      expect(res.body).toMatchObject({ email: "fin@example.com", fields: { FirstName: "Fin" } });
    });

    it("DELETE /leads/<id> answers 204; the lead is then 404 and its address keeps its status", async () => {
      const id = await d.adminCreate({ email: "gil@example.com", unsubscribed: true });

      const res = await app.admin("DELETE", `/leads/${id}`);
      expect(res).toEqual({ status: 204, body: undefined });

      const notFound = errorBody("leadNotFound", `No lead found with IDNUM = ${id}`);
      expect(await app.admin("GET", `/leads/${id}`)).toEqual({ status: 404, body: notFound });
      expect(await app.admin("DELETE", `/leads/${id}`)).toEqual({ status: 404, body: notFound });
      expect(await d.emailStatus("gil@example.com")).toMatchObject({ unsubscribed: true });
      expect(await count(`SELECT count(*) AS n FROM activity WHERE type_name = 'Delete Lead'`)).toBe(1);
    });

    it.each(["GET", "PATCH", "DELETE"])("%s of an unknown id answers 404", async (method) => {
      const res = await app.admin(method, "/leads/4242", method === "PATCH" ? { fields: { City: "Bonn" } } : undefined);
      expect(res).toEqual({ status: 404, body: errorBody("leadNotFound", "No lead found with IDNUM = 4242") });
    });

    it.each([
      ["abc", "'abc' is not a lead id"],
      ["0", "'0' is not a lead id"],
      ["-1", "'-1' is not a lead id"],
      ["1.5", "'1.5' is not a lead id"],
      ["2147483648", "'2147483648' is not a lead id"],
    ])("a bad id %s answers 400 on GET, PATCH and DELETE", async (id, message) => {
      for (const method of ["GET", "PATCH", "DELETE"]) {
        const res = await app.admin(method, `/leads/${id}`, method === "PATCH" ? { fields: { City: "Bonn" } } : undefined);
        expect([method, res]).toEqual([method, { status: 400, body: errorBody("badId", message) }]);
      }
    });
  });

  describe("bad requests", () => {
    it.each([
      ["POST", "/admin/api/leads"],
      ["PATCH", "/admin/api/leads/1"],
    ])("%s %s with a body that is not JSON answers 400 badJson and changes nothing", async (method, path) => {
      await d.adminCreate({ email: "hal@example.com" });
      const before = await snapshot();
      const res = await raw(method, path, { authorization: bearer, contentType: "application/json", body: '{"email": "x@example.com",' });
      expect(res).toEqual({ status: 400, body: errorBody("badJson", "the body is not valid JSON") });
      expect(await snapshot()).toEqual(before);
    });

    it.each([
      ["a JSON array", "[]", "application/json"],
      ["no JSON content type", '{"email":"x@example.com"}', "text/plain"],
    ])("POST /leads with %s answers 400 badBody", async (_title, body, contentType) => {
      const res = await raw("POST", "/admin/api/leads", { authorization: bearer, contentType, body });
      expect(res).toEqual({ status: 400, body: errorBody("badBody", "send a JSON object with Content-Type: application/json") });
      expect(await count(`SELECT count(*) AS n FROM lead`)).toBe(0);
    });

    it("an unknown property answers 400 unknownProperty on POST and PATCH", async () => {
      const id = await d.adminCreate({ email: "ivy@example.com" });
      const before = await snapshot();
      expect(await app.admin("POST", "/leads", { email: "ivy2@example.com", colour: "red" })).toEqual({
        status: 400,
        body: errorBody("unknownProperty", "unknown properties: colour"),
      });
      expect(await app.admin("PATCH", `/leads/${id}`, { unsubscribed: true, Unsubscribed: true, size: 3 })).toEqual({
        status: 400,
        body: errorBody("unknownProperty", "unknown properties: Unsubscribed, size"),
      });
      expect(await snapshot()).toEqual(before);
    });

    it.each([
      [{ email: 5 }, "email must be a string"],
      [{ email: "jo@example.com", unsubscribed: "yes" }, "unsubscribed must be true or false"],
      [{ email: "jo@example.com", unsubscribed: 1 }, "unsubscribed must be true or false"],
      [{ email: "jo@example.com", partition: 7 }, "partition must be a string"],
      [{ email: "jo@example.com", partition: "P", createPartition: "yes" }, "createPartition must be true or false"],
      [{ email: "jo@example.com", fields: ["FirstName"] }, "fields must be an object"],
      [{ email: "jo@example.com", fields: "FirstName=Jo" }, "fields must be an object"],
      [{ email: "jo@example.com", fields: { FirstName: { first: "Jo" } } }, "fields.FirstName must be a string, number or boolean"],
    ])("POST /leads %j answers 400 badValue and creates nothing", async (body, message) => {
      expect(await app.admin("POST", "/leads", body)).toEqual({ status: 400, body: errorBody("badValue", message) });
      expect(await count(`SELECT count(*) AS n FROM lead`)).toBe(0);
      expect(await count(`SELECT count(*) AS n FROM partition`)).toBe(1);
    });

    it("field names and values are checked against the field catalogue", async () => {
      expect(await app.admin("POST", "/leads", { email: "kit@example.com", fields: { NoSuchField: "x" } })).toEqual({
        status: 400,
        body: errorBody("unknownField", "unknown fields for import: NoSuchField"),
      });
      expect(await app.admin("POST", "/leads", { email: "kit@example.com", fields: { LeadScore: "lots" } })).toEqual({
        status: 400,
        body: errorBody("invalidValue", "LeadScore: 'lots' is not an integer"),
      });
      expect(await count(`SELECT count(*) AS n FROM lead`)).toBe(0);
    });

    it("an unknown admin endpoint answers 404 notFound", async () => {
      expect(await app.admin("GET", "/no-such-endpoint")).toEqual({ status: 404, body: errorBody("notFound", "no such admin endpoint") });
    });
  });

  describe("email status", () => {
    it("an unknown address answers 200, subscribed, with an empty history", async () => {
      expect(await app.admin("GET", `/email-status/${encodeURIComponent(" Nobody@Example.COM ")}`)).toEqual({
        status: 200,
        body: { email: " Nobody@Example.COM ", key: "nobody@example.com", unsubscribed: false, history: [] },
      });
    });

    it("shows the history newest first, with channel, reason, source and lead id", async () => {
      const s = await d.syncLead({ email: "Lou@Example.com", unsubscribed: true });
      const soapLead = s.leadId;
      const adminLead = await d.adminCreate({ email: "lou@example.com", partition: "EMEA", createPartition: true });
      expect((await app.admin("PATCH", `/leads/${adminLead}`, { unsubscribed: false })).status).toBe(200);
      expect((await app.admin("PATCH", `/leads/${soapLead}`, { unsubscribed: true })).status).toBe(200);

      const res = await app.admin("GET", `/email-status/${encodeURIComponent("LOU@example.com")}`);
      expect(res.status).toBe(200);
      const view = res.body as { email: string; key: string; unsubscribed: boolean; history: { at: string }[] };
      expect(view).toMatchObject({ email: "Lou@Example.com", key: "lou@example.com", unsubscribed: true });
      expect(view.history.map(({ at: _at, ...rest }) => rest)).toEqual([
        { unsubscribed: true, channel: "adminApi", reason: Reasons.admin, source: Sources.admin, leadId: soapLead },
        { unsubscribed: false, channel: "adminApi", reason: Reasons.admin, source: Sources.admin, leadId: adminLead },
        { unsubscribed: true, channel: "soap", reason: Reasons.soap, source: Sources.soap, leadId: soapLead },
      ]);
      const times = view.history.map((h) => h.at);
      for (const at of times) expect(at).toBe(new Date(at).toISOString());
      expect([...times].sort().reverse()).toEqual(times);
    });

    it("an empty address answers 400", async () => {
      expect(await app.admin("GET", `/email-status/${encodeURIComponent("  ")}`)).toEqual({ status: 400, body: errorBody("invalidValue", "email is empty") });
    });
  });
});
