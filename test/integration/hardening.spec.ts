/**
 * The red-team findings of issue 11, each reproduced as the attack and shown refused with
 * nothing changed: reserved field names (item 3), logins and short secrets (4), logout (5),
 * bad bytes at every edge (7), crafted stream positions (8), contradictory duplicate
 * attributes (9) and slow clients (10). Salesforce sender authentication (6) is in
 * sfdc-outbound.spec.ts, secrets shown and rotated (2) in secrets-cli.spec.ts.
 */
import net from "node:net";
import { ConfigError, loadConfig } from "../../src/config";
import { envelope, signedHeader, startTestApp, TEST_ADMIN_TOKEN, TEST_USER_ID, type TestApp } from "../support/test-app";
import { useTestApp } from "../support/use-test-app";
import { UiClient } from "../support/web-ui";

const syncLeadXml = (attributes: [string, string][], email = "hard@example.com") =>
  `<ns1:paramsSyncLead><leadRecord><Email>${email}</Email><leadAttributeList>` +
  attributes.map(([n, v]) => `<attribute><attrName>${n}</attrName><attrValue>${v}</attrValue></attribute>`).join("") +
  `</leadAttributeList></leadRecord><returnLead>false</returnLead></ns1:paramsSyncLead>`;

const codeOf = (body: string): string => /<code>(\d+)<\/code>/.exec(body)?.[1] ?? "none";
const messageOf = (body: string): string => /<message>([^<]*)<\/message>/.exec(body)?.[1] ?? "";

/** Row counts of every table a write touches: "nothing changed" is these being equal. */
async function counts(app: TestApp): Promise<Record<string, number>> {
  const out: Record<string, number> = {};
  for (const table of ["lead", "activity", "email_status", "email_status_history", "lead_field"]) {
    out[table] = Number((await app.dataSource.query(`SELECT count(*)::int AS n FROM ${table}`))[0].n);
  }
  return out;
}

describe("issue 11: hardening", () => {
  let app: TestApp;
  useTestApp((a) => {
    app = a;
  });

  describe("item 3: field names that collide with object machinery", () => {
    it.each(["hasOwnProperty", "constructor", "toString", "valueOf", "HasOwnProperty", "isPrototypeOf", "toJSON"])("declaring a field named %s is refused (400) and declares nothing", async (name) => {
      const res = await app.admin("POST", "/fields", { name, attrType: "string" });
      expect(res.status).toBe(400);
      expect(res.body.error.message).toMatch(/reserved name/);
      expect((await counts(app)).lead_field).toBe(0);
    });

    it("__proto__ as an attrName is 20105 (unknown field), and no lead is created", async () => {
      const before = await counts(app);
      const res = await app.postSoap("2_2", envelope(syncLeadXml([["__proto__", "x"]])));
      expect(codeOf(res.body)).toBe("20105");
      expect(messageOf(res.body)).toContain("__proto__");
      expect(await counts(app)).toEqual(before);
    });

    it.each(["__proto__", "hasOwnProperty", "constructor"])("the admin API refuses fields.%s as an unknown field and creates nothing", async (name) => {
      const before = await counts(app);
      const res = await fetch(`${app.url}/admin/api/leads`, {
        method: "POST",
        headers: { authorization: `Bearer ${TEST_ADMIN_TOKEN}`, "content-type": "application/json" },
        body: `{"email":"proto@example.com","fields":{"${name}":"x","FirstName":"Pat"}}`,
      });
      expect(res.status).toBe(400);
      expect(((await res.json()) as { error: { message: string } }).error.message).toContain(name);
      expect(await counts(app)).toEqual(before);
    });

    it("a lead keeps working for update, unsubscribe, delete after a reserved name was tried on it", async () => {
      await app.postSoap("2_2", envelope(syncLeadXml([["FirstName", "Ada"]], "ada@example.com")));
      // The declaration is refused, so the name stays unknown: 20105, and the lead is untouched.
      expect((await app.admin("POST", "/fields", { name: "hasOwnProperty", attrType: "string" })).status).toBe(400);
      const poisoned = await app.postSoap("2_2", envelope(syncLeadXml([["hasOwnProperty", "x"]], "ada@example.com")));
      expect(codeOf(poisoned.body)).toBe("20105");
      const update = await app.postSoap("2_2", envelope(syncLeadXml([["FirstName", "Ada2"], ["Unsubscribed", "true"]], "ada@example.com")));
      expect(update.status).toBe(200);
      const [lead] = await app.dataSource.query(`SELECT id, unsubscribed, fields FROM lead WHERE email = 'ada@example.com'`);
      expect(lead).toMatchObject({ unsubscribed: true, fields: { FirstName: "Ada2" } });
      expect((await app.admin("DELETE", `/leads/${lead.id}`)).status).toBe(204);
    });
    it("a reserved name declared before this version (a row in lead_field) is ignored: 20105, nothing stored", async () => {
      await app.dataSource.query(`INSERT INTO lead_field (name, attr_type, display_name) VALUES ('hasOwnProperty', 'string', 'x')`);
      const before = await counts(app);
      // A new process of the database (the catalogue is loaded at start).
      const other = await startTestApp();
      try {
        const res = await other.postSoap("2_2", envelope(syncLeadXml([["hasOwnProperty", "x"]], "legacy@example.com")));
        expect(codeOf(res.body)).toBe("20105");
      } finally {
        await other.stop();
      }
      // (Starting a test app empties lead_field: compare the lead tables.)
      expect({ ...(await counts(app)), lead_field: 0 }).toEqual({ ...before, lead_field: 0 });
    });
  });

  describe("item 9: one field given twice with different values", () => {
    it("Unsubscribed true then false in one record is 20110 and creates no lead (D3 would otherwise be bypassed by order)", async () => {
      const before = await counts(app);
      const res = await app.postSoap("2_2", envelope(syncLeadXml([["Unsubscribed", "true"], ["Unsubscribed", "false"]])));
      expect(codeOf(res.body)).toBe("20110");
      expect(messageOf(res.body)).toMatch(/Unsubscribed is given twice with different values/);
      expect(await counts(app)).toEqual(before);
    });

    it("the same field under two spellings (Unsubscribed, unsubscribed) with different values is 20110", async () => {
      const before = await counts(app);
      const res = await app.postSoap("2_2", envelope(syncLeadXml([["unsubscribed", "1"], ["Unsubscribed", "false"]])));
      expect(codeOf(res.body)).toBe("20110");
      expect(await counts(app)).toEqual(before);
    });

    it("the same value twice (true and 1) is accepted", async () => {
      const res = await app.postSoap("2_2", envelope(syncLeadXml([["Unsubscribed", "true"], ["unsubscribed", "1"]])));
      expect(res.status).toBe(200);
      expect((await app.dataSource.query(`SELECT unsubscribed FROM lead`))[0].unsubscribed).toBe(true);
    });
  });

  describe("item 7: bad characters are refused at the edge, naming the field", () => {
    const NUL = "\u0000";
    it.each([
      ["a NUL in fields.FirstName", { email: "nul@example.com", fields: { FirstName: `a${NUL}b` } }, /fields\.FirstName contains the character U\+0000/],
      ["a NUL in the email", { email: `nul${NUL}@example.com` }, /email contains the character U\+0000/],
      ["a lone surrogate in a field", { email: "sur@example.com", fields: { LastName: "x\ud800y" } }, /fields\.LastName contains the character U\+D800/],
      ["a control character in the reason", { email: "bel@example.com", unsubscribed: true, unsubscribedReason: "\u0007" }, /unsubscribedReason contains the character U\+0007/],
    ])("admin API: %s is 400 and creates nothing", async (_title, body, message) => {
      const before = await counts(app);
      const res = await app.admin("POST", "/leads", body);
      expect(res.status).toBe(400);
      expect(res.body.error.message).toMatch(message);
      expect(await counts(app)).toEqual(before);
    });

    it("admin API: erasure and email-status lookups with a NUL are 400", async () => {
      expect((await app.admin("POST", "/erase", { email: `a${NUL}@example.com` })).status).toBe(400);
      expect((await app.admin("GET", `/email-status/a%00%40example.com`)).status).toBe(400);
      expect((await app.admin("GET", `/email-status?email=a%00b`)).status).toBe(400);
    });

    it("person page: a search for %00 is 400, not a 500", async () => {
      const ui = new UiClient(app.url);
      await ui.login();
      const res = await ui.get("/ui/?q=%00");
      expect(res.status).toBe(400);
      expect(res.body).toContain("U+0000");
    });

    it("SOAP: a raw NUL in an attrValue is 20110 naming the attribute, and nothing is written", async () => {
      const before = await counts(app);
      const res = await app.postSoap("2_2", envelope(syncLeadXml([["FirstName", `a${NUL}b`]])));
      expect(codeOf(res.body)).toBe("20110");
      expect(messageOf(res.body)).toMatch(/attrValue of FirstName contains the character U\+0000/);
      expect(await counts(app)).toEqual(before);
    });

    it("SOAP: a character reference to NUL or a lone surrogate is refused (20012), nothing written", async () => {
      const before = await counts(app);
      for (const ref of ["&#0;", "&#xD800;"]) {
        const res = await app.postSoap("2_2", envelope(syncLeadXml([["FirstName", `a${ref}b`]])));
        expect(codeOf(res.body)).toBe("20012");
      }
      expect(await counts(app)).toEqual(before);
    });
  });

  describe("item 8: stream positions", () => {
    const changesXml = (offset: string) =>
      `<ns1:paramsGetLeadChanges><startPosition><offset>${offset}</offset></startPosition><batchSize>10</batchSize></ns1:paramsGetLeadChanges>`;
    const leadsXml = (position: string) => `<ns1:paramsGetMultipleLeads><streamPosition>${position}</streamPosition><batchSize>10</batchSize></ns1:paramsGetMultipleLeads>`;

    it.each(["18446744073709551616:1", "99999999999999999999:1", "1:9999999999999999999", "1:18446744073709551616", "-1:1"])("getLeadChanges offset %s is 20122, not 20011", async (offset) => {
      const res = await app.postSoap("2_3", envelope(changesXml(offset)));
      expect(codeOf(res.body)).toBe("20122");
    });

    it("the largest valid offset is accepted (an empty page)", async () => {
      const res = await app.postSoap("2_3", envelope(changesXml("18446744073709551615:1")));
      expect(res.status).toBe(200);
    });

    it("hand-made positions (huge numbers, 1,999 keys, the old unsigned form) are 20122", async () => {
      const b64 = (o: unknown) => Buffer.from(JSON.stringify(o)).toString("base64url");
      const keys = Array.from({ length: 1999 }, (_, i) => `k${i}@example.com`);
      for (const position of [
        `L1.${b64({ kind: "keys", keyType: "EMAIL", values: keys, afterId: 0 })}`,
        `L1.${b64({ kind: "staticList", listId: 1e300, afterId: 0 })}`,
        `L2.${b64({ kind: "staticList", listId: 1, afterId: 0 })}.AAAAAAAAAAAAAAAAAAAAAA`,
        `L2.${b64({ kind: "keys", keyType: "EMAIL", values: keys, afterId: 0 })}.AAAAAAAAAAAAAAAAAAAAAA`,
      ]) {
        const res = await app.postSoap("2_2", envelope(leadsXml(position)));
        expect(codeOf(res.body)).toBe("20122");
      }
    });

    it("a position handed out to one user is refused for another", async () => {
      for (let i = 0; i < 3; i++) await app.postSoap("2_2", envelope(syncLeadXml([], `page${i}@example.com`)));
      const first = await app.postSoap(
        "2_2",
        envelope(`<ns1:paramsGetMultipleLeads><lastUpdatedAt>${new Date(Date.now() - 60000).toISOString()}</lastUpdatedAt><batchSize>1</batchSize></ns1:paramsGetMultipleLeads>`),
      );
      const position = /<newStreamPosition>([^<]+)<\/newStreamPosition>/.exec(first.body)?.[1] ?? "";
      expect(position).toMatch(/^L2\./);
      expect((await app.postSoap("2_2", envelope(leadsXml(position)))).status).toBe(200);
      const other = await startTestApp({ MKTOWS_USER_ID: "otheruser_0123456789", MKTOWS_ENCRYPTION_KEY: "other-user-key-0123456789" });
      try {
        const res = await other.postSoap("2_2", envelope(leadsXml(position), signedHeader({ userId: "otheruser_0123456789", key: "other-user-key-0123456789" })));
        expect(codeOf(res.body)).toBe("20122");
      } finally {
        await other.stop();
      }
    });
  });

  describe("item 4: short secrets are refused at start", () => {
    it.each([
      ["ADMIN_TOKEN", "1 character", { ADMIN_TOKEN: "a" }],
      ["ADMIN_TOKEN", "15 characters", { ADMIN_TOKEN: "fifteen-chars-x" }],
      ["MKTOWS_ENCRYPTION_KEY", "1 character", { MKTOWS_USER_ID: "u1", MKTOWS_ENCRYPTION_KEY: "k" }],
      ["EMAIL_HASH_KEY", "5 characters", { EMAIL_HASH_KEY: "short" }],
    ])("%s of %s: a configuration error that says so", (name, _length, env) => {
      expect(() => loadConfig(env, "/nonexistent")).toThrow(ConfigError);
      expect(() => loadConfig(env, "/nonexistent")).toThrow(new RegExp(`${name} must be at least`));
    });

    it("long enough secrets are accepted", () => {
      expect(() => loadConfig({ ADMIN_TOKEN: "sixteen-chars-xx", MKTOWS_USER_ID: "u1", MKTOWS_ENCRYPTION_KEY: "eight-ch", EMAIL_HASH_KEY: "sixteen-chars-xx" }, "/nonexistent")).not.toThrow();
    });
  });

  describe("item 5: logout ends the session on every process", () => {
    it("the old cookie is refused after logout, here and on a second process of the database", async () => {
      const other = await startTestApp();
      try {
        const ui = new UiClient(app.url);
        await ui.login();
        const cookie = ui.cookie;
        expect((await ui.get("/ui/")).status).toBe(200);
        const replay = new UiClient(other.url);
        replay.cookie = cookie;
        expect((await replay.get("/ui/")).status).toBe(200);

        const csrf = await ui.csrfOf("/ui/");
        expect((await ui.post("/ui/logout", { _csrf: csrf })).location).toBe("/ui/login");

        const stolen = new UiClient(app.url);
        stolen.cookie = cookie;
        expect((await stolen.get("/ui/")).location).toBe("/ui/login");
        expect((await replay.get("/ui/")).location).toBe("/ui/login");
        // Another session is untouched.
        const fresh = new UiClient(other.url);
        await fresh.login();
        expect((await fresh.get("/ui/")).status).toBe(200);
      } finally {
        await other.stop();
      }
    });
  });
});

describe("issue 11 item 4: failed authentications are throttled per source and identity", () => {
  let app: TestApp;
  // Sources are told apart by X-Forwarded-For (TRUST_PROXY), as behind a load balancer.
  const from = (ip: string) => ({ "x-forwarded-for": ip });
  const good = () => envelope(syncLeadXml([], "throttle@example.com"));
  const bad = () => envelope(syncLeadXml([], "throttle@example.com"), signedHeader({ key: "wrong-key-0123456789" }));

  beforeAll(async () => {
    app = await startTestApp({ AUTH_MAX_FAILURES: "3", AUTH_FAILURE_WINDOW_SECONDS: "60", TRUST_PROXY: "true" });
  });
  afterAll(async () => {
    await app.stop();
  });

  it("SOAP: after 3 bad signatures a source gets 20023 even with a good one; other sources are not affected", async () => {
    for (let i = 0; i < 3; i++) expect(codeOf((await app.postSoap("2_2", bad(), from("10.0.0.1"))).body)).toBe("20014");
    const refused = await app.postSoap("2_2", good(), from("10.0.0.1"));
    expect(codeOf(refused.body)).toBe("20023");
    expect(messageOf(refused.body)).toMatch(/Too many failed authentications; try again in \d+ s/);
    expect((await app.postSoap("2_2", good(), from("10.0.0.2"))).status).toBe(200);
  });

  it("SOAP: an attack on one user from many sources cannot lock out the real integration", async () => {
    // 20 attacker sources, 1 bad signature each: the user is "under attack" (≥ 15 failures).
    for (let i = 0; i < 20; i++) expect(codeOf((await app.postSoap("2_2", bad(), from(`10.1.0.${i}`))).body)).toBe("20014");
    // An attacker source that failed before is refused before its next guess is checked…
    expect(codeOf((await app.postSoap("2_2", good(), from("10.1.0.5"))).body)).toBe("20023");
    // …while the integration's own source, which never failed, goes on working.
    expect((await app.postSoap("2_2", good(), from("10.9.9.9"))).status).toBe(200);
    expect(TEST_USER_ID).toBeTruthy();
  });

  it("admin API: 429 with Retry-After after 3 wrong tokens, even for the right one; another source is served", async () => {
    const call = (token: string, ip: string) => fetch(`${app.url}/admin/api/leads/999999`, { headers: { authorization: `Bearer ${token}`, ...from(ip) } });
    for (let i = 0; i < 3; i++) expect((await call("wrong-token-0123456789", "10.2.0.1")).status).toBe(401);
    const refused = await call(TEST_ADMIN_TOKEN, "10.2.0.1");
    expect(refused.status).toBe(429);
    expect(Number(refused.headers.get("retry-after"))).toBeGreaterThan(0);
    expect((await call(TEST_ADMIN_TOKEN, "10.2.0.2")).status).toBe(404);
  });

  it("web UI login: 429 after 3 wrong tokens from a source, and no cookie", async () => {
    const login = (token: string, ip: string) =>
      fetch(`${app.url}/ui/login`, { method: "POST", redirect: "manual", headers: { "content-type": "application/x-www-form-urlencoded", ...from(ip) }, body: new URLSearchParams({ token }).toString() });
    for (let i = 0; i < 3; i++) expect((await login("wrong", "10.3.0.1")).status).toBe(401);
    const refused = await login(TEST_ADMIN_TOKEN, "10.3.0.1");
    expect(refused.status).toBe(429);
    expect(refused.headers.get("set-cookie")).toBeNull();
    expect((await login(TEST_ADMIN_TOKEN, "10.3.0.2")).status).toBe(303);
  });
});

describe("issue 11 item 10: slow clients are cut off", () => {
  let app: TestApp;
  beforeAll(async () => {
    app = await startTestApp({ HTTP_HEADERS_TIMEOUT_MS: "1500", HTTP_REQUEST_TIMEOUT_MS: "3000", HTTP_IDLE_TIMEOUT_MS: "2000" });
  });
  afterAll(async () => {
    await app.stop();
  });

  /** Opens a connection and sends `head`, then one byte of `body` a second; resolves when the server closes it. */
  function trickle(head: string, body: string): Promise<{ closedAfterMs: number; answer: string }> {
    const { port } = new URL(app.url);
    return new Promise((resolve) => {
      const started = Date.now();
      const socket = net.connect(Number(port), "127.0.0.1");
      let answer = "";
      let i = 0;
      let timer: NodeJS.Timeout | undefined;
      socket.on("connect", () => {
        socket.write(head);
        timer = setInterval(() => {
          if (i < body.length && !socket.destroyed) socket.write(body[i++]);
        }, 1000);
      });
      socket.on("data", (d) => (answer += d.toString()));
      socket.on("error", () => undefined);
      socket.on("close", () => {
        clearInterval(timer);
        resolve({ closedAfterMs: Date.now() - started, answer });
      });
    });
  }

  it("a body sent one byte a second is cut at HTTP_REQUEST_TIMEOUT_MS (408), and nothing is written", async () => {
    const body = envelope(syncLeadXml([], "slow@example.com"));
    const head = `POST /soap/mktows/2_2 HTTP/1.1\r\nHost: x\r\nContent-Type: text/xml\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n`;
    const slow = trickle(head, body);
    // Meanwhile the server answers others.
    expect((await fetch(`${app.url}/healthz`)).status).toBe(200);
    const { closedAfterMs, answer } = await slow;
    expect(closedAfterMs).toBeGreaterThanOrEqual(2500);
    expect(closedAfterMs).toBeLessThan(8000);
    expect(answer).toMatch(/^HTTP\/1\.1 408/);
    expect(Number((await app.dataSource.query(`SELECT count(*)::int AS n FROM lead`))[0].n)).toBe(0);
  });

  it("headers sent one byte a second are cut at HTTP_HEADERS_TIMEOUT_MS", async () => {
    const { closedAfterMs } = await trickle("", "GET /healthz HTTP/1.1\r\nHost: x\r\nX-Slow: aaaaaaaaaaaaaaaaaaaaaaaaaaaaa\r\n\r\n");
    expect(closedAfterMs).toBeGreaterThanOrEqual(1000);
    expect(closedAfterMs).toBeLessThan(6000);
  });

  it("an idle connection is closed after HTTP_IDLE_TIMEOUT_MS", async () => {
    const { closedAfterMs } = await trickle("", "");
    expect(closedAfterMs).toBeGreaterThanOrEqual(1000);
    expect(closedAfterMs).toBeLessThan(6000);
  });
});
