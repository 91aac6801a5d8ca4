/**
 * Input safety and Marketo's leniency, through HTTP against a started app (SPEC §5, reference
 * §2, §3, §8). Every bad input gets a clear Marketo fault and changes nothing: leads,
 * activities and email statuses are counted before and after.
 */
import { request as httpRequest } from "node:http";
import { DOMParser } from "@xmldom/xmldom";
import { envelope, signedHeader, startTestApp, type TestApp } from "../support/test-app";

const NS_ENV = "http://schemas.xmlsoap.org/soap/envelope/";
const NS_MKTO = "http://www.marketo.com/mktows/";
const VERSION = "2_2";

interface Counts {
  leads: number;
  activities: number;
  statuses: number;
  history: number;
}

async function counts(app: TestApp): Promise<Counts> {
  const rows: Array<{ leads: string; activities: string; statuses: string; history: string }> = await app.dataSource.query(
    `SELECT (SELECT count(*) FROM lead) AS leads, (SELECT count(*) FROM activity) AS activities,
            (SELECT count(*) FROM email_status) AS statuses, (SELECT count(*) FROM email_status_history) AS history`,
  );
  const r = rows[0];
  return { leads: Number(r.leads), activities: Number(r.activities), statuses: Number(r.statuses), history: Number(r.history) };
}

interface Fault {
  faultcode: string;
  faultstring: string;
  name: string;
  message: string;
  code: string;
}

/** Parses a fault envelope strictly; fails the test when the body is not one. */
function parseFault(body: string): Fault {
  const errors: string[] = [];
  const doc = new DOMParser({ errorHandler: { warning: () => undefined, error: (e: string) => errors.push(e), fatalError: (e: string) => errors.push(e) } }).parseFromString(
    body,
    "text/xml",
  );
  expect(errors).toEqual([]);
  const envelopeEl = doc.documentElement;
  expect([envelopeEl?.namespaceURI, envelopeEl?.localName]).toEqual([NS_ENV, "Envelope"]);
  const fault = doc.getElementsByTagNameNS(NS_ENV, "Fault")[0];
  expect(fault).toBeDefined();
  const exception = doc.getElementsByTagNameNS(NS_MKTO, "serviceException")[0];
  expect(exception).toBeDefined();
  const child = (parent: Element, name: string): string => {
    const found = Array.from(parent.childNodes).filter((n): n is Element => n.nodeType === 1 && (n as Element).localName === name);
    expect(found).toHaveLength(1);
    return found[0].textContent ?? "";
  };
  return {
    faultcode: child(fault, "faultcode"),
    faultstring: child(fault, "faultstring"),
    name: child(exception, "name"),
    message: child(exception, "message"),
    code: child(exception, "code"),
  };
}

/** Asserts a Marketo fault with the given HTTP status, code and faultstring text; returns it. */
function expectFault(res: { status: number; body: string }, status: number, code: number, shortText: string): Fault {
  expect(res.status).toBe(status);
  const fault = parseFault(res.body);
  expect(fault.faultcode).toBe("SOAP-ENV:Client");
  expect(fault.faultstring).toBe(`${code} - ${shortText}`);
  expect(fault.name).toBe("mktServiceException");
  expect(fault.code).toBe(String(code));
  expect(fault.message).toMatch(new RegExp(`\\(${code}\\)$`));
  expect(res.body).not.toContain("Error:");
  expect(res.body).not.toMatch(/\n\s+at\s|\.ts:\d+|\.js:\d+|node_modules/);
  return fault;
}

const syncLeadBody = (email: string, extra = ""): string =>
  `<ns1:paramsSyncLead><leadRecord><Email>${email}</Email>${extra}</leadRecord><returnLead>false</returnLead></ns1:paramsSyncLead>`;

/** A raw HTTP request, so that Host and other headers are sent exactly as given. */
function rawRequest(url: string, options: { method: string; path: string; headers?: Record<string, string>; body?: Buffer | string }): Promise<{ status: number; body: string; contentType: string }> {
  const u = new URL(url);
  return new Promise((resolve, reject) => {
    const req = httpRequest({ host: u.hostname, port: u.port, method: options.method, path: options.path, headers: options.headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (c: Buffer) => chunks.push(c));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString("utf8"), contentType: String(res.headers["content-type"] ?? "") }));
      res.on("error", reject);
    });
    req.on("error", reject);
    if (options.body !== undefined) req.write(options.body);
    req.end();
  });
}

function soapAddress(wsdl: string): string | undefined {
  return /<soap:address\s+location="([^"]*)"/.exec(wsdl)?.[1];
}

async function leadByEmail(app: TestApp, email: string): Promise<{ id: number; email: string; unsubscribed: boolean; fields: Record<string, string>; foreign_sys_person_id: string | null } | undefined> {
  const rows = await app.dataSource.query(`SELECT * FROM lead WHERE email = $1`, [email]);
  return rows[0];
}

describe("SOAP input safety (default app)", () => {
  let app: TestApp;
  beforeAll(async () => {
    app = await startTestApp();
  });
  afterAll(async () => {
    await app.stop();
  });
  beforeEach(async () => {
    await app.reset();
    // Some state for bad requests to (not) change: a lead, its activities, an unsubscribed address.
    const res = await app.postSoap(
      VERSION,
      envelope(syncLeadBody("seed@example.com", `<leadAttributeList><attribute><attrName>Unsubscribed</attrName><attrValue>true</attrValue></attribute></leadAttributeList>`)),
    );
    expect(res.status).toBe(200);
    const seeded = await counts(app);
    expect(seeded.leads).toBe(1);
    expect(seeded.statuses).toBe(1);
    expect(seeded.activities).toBeGreaterThan(0);
  });

  /** Sends a request that must be refused, and checks it changed nothing. */
  async function refused(send: () => Promise<{ status: number; body: string }>, status: number, code: number, shortText: string): Promise<{ fault: Fault; body: string }> {
    const before = await counts(app);
    const res = await send();
    const fault = expectFault(res, status, code, shortText);
    expect(await counts(app)).toStrictEqual(before);
    return { fault, body: res.body };
  }

  describe("malformed and hostile XML", () => {
    it("answers malformed XML with HTTP 500 and fault 20012", async () => {
      const xml = envelope(syncLeadBody("bad@example.com")).replace("</leadRecord>", "</leadRecrod>");
      const { fault } = await refused(() => app.postSoap(VERSION, xml), 500, 20012, "Request Not Understood");
      expect(fault.message).toMatch(/^Malformed XML/);
    });

    it("answers a body that is not XML at all with 20012", async () => {
      await refused(() => app.postSoap(VERSION, "hello, is this SOAP?"), 500, 20012, "Request Not Understood");
    });

    it("answers an empty body with 20012", async () => {
      await refused(() => app.postSoap(VERSION, ""), 500, 20012, "Request Not Understood");
    });

    it("answers a truncated envelope with 20012", async () => {
      const xml = envelope(syncLeadBody("cut@example.com"));
      await refused(() => app.postSoap(VERSION, xml.slice(0, xml.length - 40)), 500, 20012, "Request Not Understood");
    });

    it("answers a SOAP 1.2 envelope with 20012", async () => {
      const xml = envelope(syncLeadBody("soap12@example.com")).replace(NS_ENV, "http://www.w3.org/2003/05/soap-envelope");
      await refused(() => app.postSoap(VERSION, xml), 500, 20012, "Request Not Understood");
    });

    it("refuses a DOCTYPE with nested entities (billion laughs) without expanding them", async () => {
      const entities = ['<!ENTITY lol "lol">'];
      for (let i = 1; i <= 9; i++) entities.push(`<!ENTITY lol${i} "${`&lol${i === 1 ? "" : i - 1};`.repeat(10)}">`);
      const xml =
        `<?xml version="1.0"?>\n<!DOCTYPE lolz [${entities.join("")}]>` +
        envelope(syncLeadBody("&lol9;@example.com")).replace(/^<\?xml[^>]*\?>\n/, "");
      const started = Date.now();
      const { fault, body } = await refused(() => app.postSoap(VERSION, xml), 500, 20012, "Request Not Understood");
      expect(Date.now() - started).toBeLessThan(5000);
      expect(fault.message).toBe("DTDs and entity declarations are not accepted (20012)");
      expect(body).not.toContain("lollol");
      expect(body.length).toBeLessThan(2000);
    });

    it("refuses an external entity (XXE) without reading the file", async () => {
      const xml =
        `<?xml version="1.0"?>\n<!DOCTYPE foo [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>` +
        envelope(syncLeadBody("x@example.com", "<leadAttributeList><attribute><attrName>FirstName</attrName><attrValue>&xxe;</attrValue></attribute></leadAttributeList>")).replace(
          /^<\?xml[^>]*\?>\n/,
          "",
        );
      const { fault, body } = await refused(() => app.postSoap(VERSION, xml), 500, 20012, "Request Not Understood");
      expect(fault.message).toBe("DTDs and entity declarations are not accepted (20012)");
      expect(body).not.toContain("root:");
      expect(await leadByEmail(app, "x@example.com")).toBeUndefined();
    });

    it("refuses an undeclared entity reference with 20012", async () => {
      const xml = envelope(syncLeadBody("&xxe;@example.com"));
      await refused(() => app.postSoap(VERSION, xml), 500, 20012, "Request Not Understood");
    });

    it.each([
      ["text directly in the Body", envelope(`hello${syncLeadBody("mixed@example.com")}`)],
      ["text in the operation element", envelope(`<ns1:paramsSyncLead>hello<leadRecord><Email>mixed@example.com</Email></leadRecord><returnLead>false</returnLead></ns1:paramsSyncLead>`)],
      ["text before a child of leadRecord", envelope(syncLeadBody("mixed@example.com").replace("<leadRecord>", "<leadRecord>hello"))],
      ["text after a child of leadRecord", envelope(syncLeadBody("mixed@example.com").replace("</leadRecord>", "tail</leadRecord>"))],
      ["CDATA beside child elements", envelope(syncLeadBody("mixed@example.com").replace("</leadRecord>", "<![CDATA[x]]></leadRecord>"))],
      ["text in the Header", envelope(syncLeadBody("mixed@example.com")).replace("<SOAP-ENV:Header>", "<SOAP-ENV:Header>junk")],
      ["text in the AuthenticationHeader", envelope(syncLeadBody("mixed@example.com")).replace("<mktowsUserId>", "junk<mktowsUserId>")],
    ])("refuses %s (mixed content) with 20012, not node-soap's internal message", async (_title, xml) => {
      const { fault } = await refused(() => app.postSoap(VERSION, xml), 500, 20012, "Request Not Understood");
      expect(fault.message).toBe("Text mixed with child elements is not accepted (20012)");
    });

    it.each([
      ["__proto__", `<__proto__><polluted>yes</polluted></__proto__>`],
      ["constructor", `<constructor>x</constructor>`],
      ["toString", `<toString>x</toString>`],
    ])("refuses an element named %s with 20012, not node-soap's internal message", async (name, child) => {
      const xml = envelope(syncLeadBody("proto@example.com", child));
      const { fault } = await refused(() => app.postSoap(VERSION, xml), 500, 20012, "Request Not Understood");
      expect(fault.message).toBe(`The name '${name}' is not accepted (20012)`);
      expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    });

    it("refuses an attribute named constructor with 20012", async () => {
      const xml = envelope(syncLeadBody("proto@example.com").replace("<leadRecord>", '<leadRecord constructor="x">'));
      await refused(() => app.postSoap(VERSION, xml), 500, 20012, "Request Not Understood");
    });

    it("refuses XML nested 100 levels deep", async () => {
      const deep = `${"<a>".repeat(100)}x${"</a>".repeat(100)}`;
      const xml = envelope(syncLeadBody("deep@example.com", `<leadAttributeList><attribute><attrName>FirstName</attrName><attrValue>${deep}</attrValue></attribute></leadAttributeList>`));
      const { fault } = await refused(() => app.postSoap(VERSION, xml), 500, 20012, "Request Not Understood");
      expect(fault.message).toBe("XML nested deeper than 64 levels (20012)");
    });

    it("refuses bytes that are not UTF-8", async () => {
      const xml = envelope(syncLeadBody("latin@example.com", "<leadAttributeList><attribute><attrName>FirstName</attrName><attrValue>JOSE_</attrValue></attribute></leadAttributeList>"));
      const bytes = Buffer.from(xml, "utf8");
      const at = bytes.indexOf("JOSE_");
      bytes[at + 4] = 0xc9; // 'É' in ISO-8859-1, an invalid lone lead byte in UTF-8
      const before = await counts(app);
      const res = await rawRequest(app.url, { method: "POST", path: `/soap/mktows/${VERSION}`, headers: { "content-type": "text/xml; charset=utf-8" }, body: bytes });
      const fault = expectFault(res, 500, 20012, "Request Not Understood");
      expect(fault.message).toBe("The request is not valid UTF-8 (20012)");
      expect(await counts(app)).toStrictEqual(before);
    });
  });

  describe("unknown and unsupported operations", () => {
    it("answers an unknown body element (paramsNope) with 20019", async () => {
      const { fault } = await refused(() => app.postSoap(VERSION, envelope("<ns1:paramsNope><x>1</x></ns1:paramsNope>")), 500, 20019, "Unsupported Operation");
      expect(fault.message).toBe("'paramsNope' is not an operation of the Marketo API (20019)");
    });

    it("answers an operation of the 23 that is not implemented (getTags) with 20019 'not supported'", async () => {
      const { fault } = await refused(() => app.postSoap(VERSION, envelope("<ns1:paramsGetTags/>")), 500, 20019, "Unsupported Operation");
      expect(fault.message).toBe("getTags is not supported by this server (20019)");
    });

    it("answers an envelope whose Body is empty with 20012", async () => {
      await refused(() => app.postSoap(VERSION, envelope("")), 500, 20012, "Request Not Understood");
    });
  });

  describe("wrong types", () => {
    it("answers syncLead with Id 'abc' with 20110", async () => {
      const body = `<ns1:paramsSyncLead><leadRecord><Id>abc</Id><Email>typed@example.com</Email></leadRecord><returnLead>false</returnLead></ns1:paramsSyncLead>`;
      await refused(() => app.postSoap(VERSION, envelope(body)), 500, 20110, "Bad Parameter");
    });

    it.each(["12abc", "1.5", "1e2", "99999999999"])("answers syncLead with Id %j with 20110 (not a truncated number)", async (id) => {
      const body = `<ns1:paramsSyncLead><leadRecord><Id>${id}</Id><Email>seed@example.com</Email></leadRecord><returnLead>false</returnLead></ns1:paramsSyncLead>`;
      await refused(() => app.postSoap(VERSION, envelope(body)), 500, 20110, "Bad Parameter");
    });

    it("answers syncMultipleLeads with dedupEnabled 'maybe' with 20110", async () => {
      const body = `<ns1:paramsSyncMultipleLeads><leadRecordList><leadRecord><Email>multi@example.com</Email></leadRecord></leadRecordList><dedupEnabled>maybe</dedupEnabled></ns1:paramsSyncMultipleLeads>`;
      await refused(() => app.postSoap(VERSION, envelope(body)), 500, 20110, "Bad Parameter");
    });

    it("answers getLeadActivity with batchSize 'ten' with 20110", async () => {
      const body = `<ns1:paramsGetLeadActivity><leadKey><keyType>EMAIL</keyType><keyValue>seed@example.com</keyValue></leadKey><batchSize>ten</batchSize></ns1:paramsGetLeadActivity>`;
      await refused(() => app.postSoap(VERSION, envelope(body)), 500, 20110, "Bad Parameter");
    });

    it.each([
      ["a repeated Email", "<leadRecord><Email>r1@example.com</Email><Email>r2@example.com</Email></leadRecord>"],
      ["an Email with child elements", "<leadRecord><Email><x>struct@example.com</x></Email></leadRecord>"],
      ["an attrValue with child elements", "<leadRecord><Email>seed@example.com</Email><leadAttributeList><attribute><attrName>FirstName</attrName><attrValue><x>1</x></attrValue></attribute></leadAttributeList></leadRecord>"],
    ])("answers syncLead with %s with 20110 rather than dropping the value", async (_title, record) => {
      const body = `<ns1:paramsSyncLead>${record}<returnLead>false</returnLead></ns1:paramsSyncLead>`;
      await refused(() => app.postSoap(VERSION, envelope(body)), 500, 20110, "Bad Parameter");
    });

    it("answers syncLead with returnLead 'maybe' with 20110", async () => {
      const body = `<ns1:paramsSyncLead><leadRecord><Email>maybe@example.com</Email></leadRecord><returnLead>maybe</returnLead></ns1:paramsSyncLead>`;
      await refused(() => app.postSoap(VERSION, envelope(body)), 500, 20110, "Bad Parameter");
    });

    it("answers syncLead with Unsubscribed 'maybe' with 20110", async () => {
      const body = syncLeadBody("seed@example.com", `<leadAttributeList><attribute><attrName>Unsubscribed</attrName><attrValue>maybe</attrValue></attribute></leadAttributeList>`);
      await refused(() => app.postSoap(VERSION, envelope(body)), 500, 20110, "Bad Parameter");
    });

    it("answers getLead with an unknown keyType with 20102", async () => {
      const body = `<ns1:paramsGetLead><leadKey><keyType>PHONE</keyType><keyValue>1</keyValue></leadKey></ns1:paramsGetLead>`;
      await refused(() => app.postSoap(VERSION, envelope(body)), 500, 20102, "Input error");
    });
  });

  describe("authentication", () => {
    const body = syncLeadBody("auth@example.com");

    it("answers a missing header with 20014", async () => {
      const xml = envelope(body).replace(/<SOAP-ENV:Header>.*<\/SOAP-ENV:Header>/, "");
      expect(xml).not.toContain("AuthenticationHeader");
      const { fault } = await refused(() => app.postSoap(VERSION, xml), 500, 20014, "Authentication failed");
      expect(fault.message).toMatch(/^Authentication failed/);
    });

    it("answers a bad signature with 20014, exactly as Marketo does", async () => {
      const h = signedHeader();
      const { body: res } = await refused(() => app.postSoap(VERSION, envelope(body, { ...h, requestSignature: "0".repeat(40) })), 500, 20014, "Authentication failed");
      expect(parseFault(res).message).toBe("Authentication failed (20014)");
    });

    it("answers an unknown user with 20014", async () => {
      await refused(() => app.postSoap(VERSION, envelope(body, signedHeader({ userId: "someone_else" }))), 500, 20014, "Authentication failed");
    });

    it("answers a timestamp 1 hour old with 20016", async () => {
      await refused(() => app.postSoap(VERSION, envelope(body, signedHeader({ now: new Date(Date.now() - 3600_000) }))), 500, 20016, "Request Expired");
    });

    it("answers a timestamp 1 hour in the future with 20016", async () => {
      await refused(() => app.postSoap(VERSION, envelope(body, signedHeader({ now: new Date(Date.now() + 3600_000) }))), 500, 20016, "Request Expired");
    });

    it("answers a correctly signed garbage timestamp with 20016", async () => {
      await refused(() => app.postSoap(VERSION, envelope(body, signedHeader({ timestamp: "not a time" }))), 500, 20016, "Request Expired");
    });

    it("accepts a Ruby-style timestamp and an upper-case signature", async () => {
      const now = new Date();
      const pad = (n: number) => String(n).padStart(2, "0");
      const ts = `${now.getUTCFullYear()}-${pad(now.getUTCMonth() + 1)}-${pad(now.getUTCDate())} ${pad(now.getUTCHours())}:${pad(now.getUTCMinutes())}:${pad(now.getUTCSeconds())} +0000`;
      const h = signedHeader({ timestamp: ts });
      const res = await app.postSoap(VERSION, envelope(body, { ...h, requestSignature: h.requestSignature.toUpperCase() }));
      expect(res.status).toBe(200);
      expect(await leadByEmail(app, "auth@example.com")).toBeDefined();
    });
  });

  describe("versions", () => {
    it("answers an unknown version path with HTTP 404 and a fault naming the supported versions", async () => {
      const { fault } = await refused(() => app.postSoap("1_4", envelope(syncLeadBody("v@example.com"))), 404, 20012, "Request Not Understood");
      for (const v of ["2_0", "2_1", "2_2", "2_3", "2_4", "2_5", "2_6", "2_7", "2_8", "2_9", "3_0", "3_1"]) expect(fault.message).toContain(`/soap/mktows/${v}`);
      expect(fault.message).not.toContain("1_4");
    });

    it("answers GET on an unknown version's WSDL with 404 too", async () => {
      const res = await rawRequest(app.url, { method: "GET", path: "/soap/mktows/9_9?WSDL" });
      expectFault(res, 404, 20012, "Request Not Understood");
    });
  });

  describe("WSDL", () => {
    it.each(["wsdl", "WSDL", "Wsdl"])("serves the WSDL at ?%s with soap:address = the URL used", async (q) => {
      const res = await rawRequest(app.url, { method: "GET", path: `/soap/mktows/2_7?${q}`, headers: { host: "marketo.example.test:8443" } });
      expect(res.status).toBe(200);
      expect(res.contentType).toMatch(/^text\/xml/);
      expect(res.body).toContain("<wsdl:definitions");
      expect(soapAddress(res.body)).toBe("http://marketo.example.test:8443/soap/mktows/2_7");
    });

    it("ignores X-Forwarded-* when TRUST_PROXY is off", async () => {
      const res = await rawRequest(app.url, {
        method: "GET",
        path: "/soap/mktows/2_2?wsdl",
        headers: { host: "inside.example.test", "x-forwarded-proto": "https", "x-forwarded-host": "evil.example.test" },
      });
      expect(soapAddress(res.body)).toBe("http://inside.example.test/soap/mktows/2_2");
    });

    it("does not reflect a Host header that is not a host name", async () => {
      const res = await rawRequest(app.url, { method: "GET", path: "/soap/mktows/2_2?wsdl", headers: { host: 'a"><x y="' } });
      expect(res.status).toBe(200);
      expect(soapAddress(res.body)).toBe("http://localhost/soap/mktows/2_2");
    });
  });

  describe("Marketo leniency (reference §8.3)", () => {
    const header = (prefix: string, ns: string) => {
      const h = signedHeader();
      return (
        `<${prefix}:AuthenticationHeader xmlns:${prefix}="${ns}"><mktowsUserId>${h.mktowsUserId}</mktowsUserId>` +
        `<requestSignature>${h.requestSignature}</requestSignature><requestTimestamp>${h.requestTimestamp}</requestTimestamp></${prefix}:AuthenticationHeader>`
      );
    };
    const custom = (envPrefix: string, opPrefix: string, body: string) =>
      `<?xml version="1.0" encoding="UTF-8"?>\n<${envPrefix}:Envelope xmlns:${envPrefix}="${NS_ENV}" xmlns:${opPrefix}="${NS_MKTO}">` +
      `<${envPrefix}:Header>${header(opPrefix, NS_MKTO)}</${envPrefix}:Header><${envPrefix}:Body>${body}</${envPrefix}:Body></${envPrefix}:Envelope>`;

    it.each([
      ["soapenv", "tns"],
      ["env", "mkt"],
      ["soap-env", "ns0"],
      ["SOAP-ENV", "wsdl"],
    ])("accepts envelope prefix %s with operation prefix %s", async (envPrefix, opPrefix) => {
      const email = `${envPrefix}.${opPrefix}@example.com`;
      const body = `<${opPrefix}:paramsSyncLead><leadRecord><Email>${email}</Email></leadRecord><returnLead>false</returnLead></${opPrefix}:paramsSyncLead>`;
      const res = await app.postSoap(VERSION, custom(envPrefix, opPrefix, body));
      expect(res.status).toBe(200);
      expect(res.body).toContain("<status>CREATED</status>");
      expect(await leadByEmail(app, email)).toBeDefined();
    });

    it("accepts a default-namespace operation element with unqualified children", async () => {
      const h = signedHeader();
      const xml =
        `<soapenv:Envelope xmlns:soapenv="${NS_ENV}"><soapenv:Header><AuthenticationHeader xmlns="${NS_MKTO}"><mktowsUserId xmlns="">${h.mktowsUserId}</mktowsUserId>` +
        `<requestSignature xmlns="">${h.requestSignature}</requestSignature><requestTimestamp xmlns="">${h.requestTimestamp}</requestTimestamp></AuthenticationHeader></soapenv:Header>` +
        `<soapenv:Body><paramsSyncLead xmlns="${NS_MKTO}"><leadRecord xmlns=""><Email>default.ns@example.com</Email></leadRecord><returnLead xmlns="">false</returnLead></paramsSyncLead></soapenv:Body></soapenv:Envelope>`;
      const res = await app.postSoap(VERSION, xml);
      expect(res.status).toBe(200);
      expect(await leadByEmail(app, "default.ns@example.com")).toBeDefined();
    });

    it("accepts children out of schema order and ignores unknown children", async () => {
      const body =
        `<ns1:paramsSyncLead><returnLead>true</returnLead><marketoCookie></marketoCookie><unknownParam>1</unknownParam>` +
        `<leadRecord><leadAttributeList><attribute><attrValue>Ann</attrValue><attrName>FirstName</attrName></attribute></leadAttributeList>` +
        `<foreignSysPersonId>ignored-lower-case</foreignSysPersonId><Email>order@example.com</Email></leadRecord></ns1:paramsSyncLead>`;
      const res = await app.postSoap(VERSION, envelope(body));
      expect(res.status).toBe(200);
      expect(res.body).toContain("<Email>order@example.com</Email>");
      expect(res.body).toContain("<attribute><attrName>FirstName</attrName><attrType>string</attrType><attrValue>Ann</attrValue></attribute>");
      const lead = await leadByEmail(app, "order@example.com");
      expect(lead?.foreign_sys_person_id).toBeNull();
    });

    it("accepts empty dateTime elements in getLeadActivity's startPosition", async () => {
      const body =
        `<ns1:paramsGetLeadActivity><leadKey><keyType>EMAIL</keyType><keyValue>seed@example.com</keyValue></leadKey>` +
        `<activityFilter><includeTypes><activityType>NewLead</activityType></includeTypes></activityFilter>` +
        `<startPosition><latestCreatedAt /><oldestCreatedAt></oldestCreatedAt><offset /></startPosition><batchSize>10</batchSize></ns1:paramsGetLeadActivity>`;
      const res = await app.postSoap(VERSION, envelope(body));
      expect(res.status).toBe(200);
      expect(res.body).toContain("<returnCount>1</returnCount>");
      expect(res.body).toContain("<activityType>New Lead</activityType>");
    });

    it("accepts empty elements that carry an xsi:type (dateTime and int)", async () => {
      const body =
        `<ns1:paramsGetLeadActivity xmlns:xsd="http://www.w3.org/2001/XMLSchema"><leadKey><keyType>EMAIL</keyType><keyValue>seed@example.com</keyValue></leadKey>` +
        `<startPosition><latestCreatedAt xsi:type="xsd:dateTime"/><oldestCreatedAt xsi:type="xsd:dateTime"></oldestCreatedAt></startPosition><batchSize xsi:type="xsd:int"/></ns1:paramsGetLeadActivity>`;
      const res = await app.postSoap(VERSION, envelope(body));
      expect(res.status).toBe(200);
      expect(res.body).toContain("<activityType>New Lead</activityType>");
    });

    it("treats empty Id and returnLead elements as not given", async () => {
      const body = `<ns1:paramsSyncLead><leadRecord><Id/><Email>seed@example.com</Email></leadRecord><returnLead></returnLead></ns1:paramsSyncLead>`;
      const res = await app.postSoap(VERSION, envelope(body));
      expect(res.status).toBe(200);
      expect(res.body).toContain("<status>UPDATED</status>");
      expect(res.body).toContain('<leadRecord xsi:nil="true"/>');
    });

    it("dispatches without a SOAPAction header", async () => {
      const res = await rawRequest(app.url, {
        method: "POST",
        path: `/soap/mktows/${VERSION}`,
        headers: { "content-type": "text/xml" },
        body: envelope(syncLeadBody("noaction@example.com")),
      });
      expect(res.status).toBe(200);
      expect(await leadByEmail(app, "noaction@example.com")).toBeDefined();
    });

    it.each(['""', "", "http://www.marketo.com/mktows/getLead", '"http://www.marketo.com/mktows/nonsense"'])("dispatches on the body element when SOAPAction is %j", async (action) => {
      const email = `action${action.length}@example.com`;
      const res = await app.postSoap(VERSION, envelope(syncLeadBody(email)), { SOAPAction: action });
      expect(res.status).toBe(200);
      expect(res.body).toContain("successSyncLead");
      expect(await leadByEmail(app, email)).toBeDefined();
    });

    it("accepts a text/xml request without a charset and application/soap+xml", async () => {
      const a = await app.postSoap(VERSION, envelope(syncLeadBody("ct1@example.com")), { "content-type": "text/xml" });
      const b = await app.postSoap(VERSION, envelope(syncLeadBody("ct2@example.com")), { "content-type": "application/soap+xml; charset=utf-8" });
      expect([a.status, b.status]).toEqual([200, 200]);
    });
  });
});

describe("SOAP input safety: body size limit (MAX_BODY_BYTES=2048)", () => {
  let app: TestApp;
  beforeAll(async () => {
    app = await startTestApp({ MAX_BODY_BYTES: "2048" });
  });
  afterAll(async () => {
    await app.stop();
  });

  it("answers a body over the limit with HTTP 413 and a SOAP fault, changing nothing", async () => {
    const before = await counts(app);
    const filler = "x".repeat(4096);
    const xml = envelope(syncLeadBody("big@example.com", `<leadAttributeList><attribute><attrName>FirstName</attrName><attrValue>${filler}</attrValue></attribute></leadAttributeList>`));
    const res = await app.postSoap(VERSION, xml);
    const fault = expectFault(res, 413, 20012, "Request Not Understood");
    expect(fault.message).toBe("Request body too large (20012)");
    expect(await counts(app)).toStrictEqual(before);
  });

  it("still accepts a body under the limit", async () => {
    const res = await app.postSoap(VERSION, envelope(syncLeadBody("small@example.com")));
    expect(res.status).toBe(200);
  });
});

describe("WSDL address behind a proxy", () => {
  it("uses PUBLIC_URL when set, whatever the Host", async () => {
    const app = await startTestApp({ PUBLIC_URL: "https://api.example.com/base/" });
    try {
      const res = await rawRequest(app.url, { method: "GET", path: "/soap/mktows/3_1?WSDL", headers: { host: "internal:8080", "x-forwarded-host": "other.example.com" } });
      expect(res.status).toBe(200);
      expect(soapAddress(res.body)).toBe("https://api.example.com/base/soap/mktows/3_1");
    } finally {
      await app.stop();
    }
  });

  it("honours X-Forwarded-Proto and X-Forwarded-Host when TRUST_PROXY is on", async () => {
    const app = await startTestApp({ TRUST_PROXY: "true" });
    try {
      const res = await rawRequest(app.url, {
        method: "GET",
        path: "/soap/mktows/2_2?Wsdl",
        headers: { host: "internal:8080", "x-forwarded-proto": "https", "x-forwarded-host": "marketo.example.com, proxy.internal" },
      });
      expect(res.status).toBe(200);
      expect(soapAddress(res.body)).toBe("https://marketo.example.com/soap/mktows/2_2");
      const plain = await rawRequest(app.url, { method: "GET", path: "/soap/mktows/2_2?wsdl", headers: { host: "internal:8080" } });
      expect(soapAddress(plain.body)).toBe("http://internal:8080/soap/mktows/2_2");
    } finally {
      await app.stop();
    }
  });
});
