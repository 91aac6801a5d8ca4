/**
 * Issue 10: authentication before the body. The AuthenticationHeader is checked when the
 * Header ends, so a request that fails is refused (20014/20016) without parsing the rest: a
 * 4 MB envelope with a bad signature costs the server next to nothing, and a getLead running
 * meanwhile is not held up. Leniency as Marketo had it, extended to the header: attributes on
 * any element (SOAP::Lite's xsi:type), children in any order and prefix.
 */
import { execFile } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { spawnServer } from "../support/server-process";
import { startTestApp, signedHeader, TEST_ENCRYPTION_KEY, TEST_USER_ID, type TestApp } from "../support/test-app";
import { onRealPostgres, testDatabaseUrl } from "../support/test-env";

const ENV = "http://schemas.xmlsoap.org/soap/envelope/";
const MKTOWS = "http://www.marketo.com/mktows/";
const getLeadBody = `<ns1:paramsGetLead><leadKey><keyType>EMAIL</keyType><keyValue>loop@example.com</keyValue></leadKey></ns1:paramsGetLead>`;
const codeOf = (body: string): string => /<code>(\d+)<\/code>/.exec(body)?.[1] ?? "none";

/** An envelope with the header as given (already serialised) and a body. */
function envelopeWith(header: string, body: string): string {
  return `<?xml version="1.0" encoding="UTF-8"?><SOAP-ENV:Envelope xmlns:SOAP-ENV="${ENV}" xmlns:ns1="${MKTOWS}" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xmlns:xsd="http://www.w3.org/2001/XMLSchema"><SOAP-ENV:Header>${header}</SOAP-ENV:Header><SOAP-ENV:Body>${body}</SOAP-ENV:Body></SOAP-ENV:Envelope>`;
}

describe("authentication before the body (issue 10)", () => {
  let app: TestApp;
  beforeAll(async () => {
    app = await startTestApp();
    await app.postSoap(
      "2_2",
      envelopeWith(
        authHeader(),
        `<ns1:paramsSyncLead><leadRecord><Email>loop@example.com</Email></leadRecord><returnLead>false</returnLead></ns1:paramsSyncLead>`,
      ),
    );
  });
  afterAll(async () => {
    await app.stop();
  });

  function authHeader(options: { order?: string[]; typed?: boolean; prefix?: string; key?: string } = {}): string {
    const h = signedHeader(options.key ? { key: options.key } : {});
    const type = options.typed ? ' xsi:type="xsd:string"' : "";
    const p = options.prefix ?? "";
    const child = (name: keyof typeof h) => `<${p}${name}${type}>${h[name]}</${p}${name}>`;
    const order = (options.order ?? ["mktowsUserId", "requestSignature", "requestTimestamp"]) as (keyof typeof h)[];
    const open = p ? `<${p}AuthenticationHeader xmlns:${p.slice(0, -1)}="${MKTOWS}">` : `<ns1:AuthenticationHeader>`;
    const close = p ? `</${p}AuthenticationHeader>` : `</ns1:AuthenticationHeader>`;
    return open + order.map(child).join("") + close;
  }

  it("a 4 MB envelope with a bad signature is refused with 20014 while getLead, in a loop, answers within 100 ms each time", async () => {
    // The server and the clients each in a process of their own: only the server's work is measured.
    const dir = mkdtempSync(path.join(tmpdir(), "mktows-attack-"));
    const server = await spawnServer(onRealPostgres() ? { DATABASE_URL: testDatabaseUrl(), DB_POOL_SIZE: "4" } : { DATA_DIR: path.join(dir, "data") });
    try {
      const out = await new Promise<string>((resolve, reject) =>
        execFile(process.execPath, [path.join(__dirname, "support", "attack-while-getlead.js"), server.url, TEST_USER_ID, TEST_ENCRYPTION_KEY], { timeout: 60000 }, (error, stdout, stderr) =>
          error ? reject(new Error(`${error.message}\n${stderr}`)) : resolve(stdout),
        ),
      );
      const result = JSON.parse(out) as { times: number[]; attacks: { status: number; code: string | null }[]; bytes: number };
      expect(result.bytes).toBeGreaterThan(4_000_000);
      expect(result.attacks).toEqual(Array.from({ length: 3 }, () => ({ status: 500, code: "20014" })));
      expect(result.times.length).toBeGreaterThan(0);
      process.stderr.write(`auth-before-body: ${result.times.length} getLeads during 3 refused 4 MB requests, slowest ${Math.max(...result.times).toFixed(1)} ms\n`);
      expect(Math.max(...result.times)).toBeLessThan(100);
    } finally {
      await server.stop();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it.each([
    ["SOAP::Lite's xsi:type on each child", { typed: true }],
    ["children in another order", { order: ["requestTimestamp", "mktowsUserId", "requestSignature"] }],
    ["another prefix for the header's namespace", { prefix: "mkt:" }],
    ["another prefix, typed, reordered", { prefix: "m:", typed: true, order: ["requestSignature", "requestTimestamp", "mktowsUserId"] }],
  ])("a header with %s is accepted", async (_title, options) => {
    const res = await app.postSoap("2_2", envelopeWith(authHeader(options), getLeadBody));
    expect(res.status).toBe(200);
    expect(res.body).toContain("loop@example.com");
  });

  it("a Header after the Body is refused (20014): the body is not read to find it", async () => {
    const xml = `<?xml version="1.0"?><SOAP-ENV:Envelope xmlns:SOAP-ENV="${ENV}" xmlns:ns1="${MKTOWS}"><SOAP-ENV:Body>${getLeadBody}</SOAP-ENV:Body><SOAP-ENV:Header>${authHeader()}</SOAP-ENV:Header></SOAP-ENV:Envelope>`;
    const res = await app.postSoap("2_2", xml);
    expect(codeOf(res.body)).toBe("20014");
    expect(res.body).toContain("a SOAP Header must come before the Body");
  });

  it("two AuthenticationHeaders, a child given twice, or a non-SOAP element before the Header are refused", async () => {
    const twice = envelopeWith(authHeader() + authHeader(), getLeadBody);
    expect(codeOf((await app.postSoap("2_2", twice)).body)).toBe("20014");
    const h = signedHeader();
    const doubled = `<ns1:AuthenticationHeader><mktowsUserId>evil</mktowsUserId><mktowsUserId>${h.mktowsUserId}</mktowsUserId><requestSignature>${h.requestSignature}</requestSignature><requestTimestamp>${h.requestTimestamp}</requestTimestamp></ns1:AuthenticationHeader>`;
    expect(codeOf((await app.postSoap("2_2", envelopeWith(doubled, getLeadBody))).body)).toBe("20014");
    const foreign = `<?xml version="1.0"?><SOAP-ENV:Envelope xmlns:SOAP-ENV="${ENV}" xmlns:ns1="${MKTOWS}" xmlns:f="urn:f"><f:Body>${getLeadBody}</f:Body><SOAP-ENV:Header>${authHeader()}</SOAP-ENV:Header><SOAP-ENV:Body>${getLeadBody}</SOAP-ENV:Body></SOAP-ENV:Envelope>`;
    expect(codeOf((await app.postSoap("2_2", foreign)).body)).toBe("20012");
  });

  it("a header that does not end within 64 KB is refused (20014), however long the request", async () => {
    const padding = `<ns1:Padding>${"p".repeat(70 * 1024)}</ns1:Padding>`;
    const res = await app.postSoap("2_2", envelopeWith(padding + authHeader(), getLeadBody));
    expect(codeOf(res.body)).toBe("20014");
    expect(res.body).toContain("no complete SOAP Header in the first 64 KB");
  });

  it("a missing child, an unknown user and a stale timestamp are refused before the body", async () => {
    const h = signedHeader();
    const partial = `<ns1:AuthenticationHeader><mktowsUserId>${TEST_USER_ID}</mktowsUserId><requestTimestamp>${h.requestTimestamp}</requestTimestamp></ns1:AuthenticationHeader>`;
    expect(codeOf((await app.postSoap("2_2", envelopeWith(partial, getLeadBody))).body)).toBe("20014");
    const stale = signedHeader({ now: new Date(Date.now() - 3600_000) });
    const staleXml = `<ns1:AuthenticationHeader><mktowsUserId>${stale.mktowsUserId}</mktowsUserId><requestSignature>${stale.requestSignature}</requestSignature><requestTimestamp>${stale.requestTimestamp}</requestTimestamp></ns1:AuthenticationHeader>`;
    expect(codeOf((await app.postSoap("2_2", envelopeWith(staleXml, getLeadBody))).body)).toBe("20016");
  });
});
