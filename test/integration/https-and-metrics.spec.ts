/**
 * Optional HTTPS (TLS_CERT_FILE, TLS_KEY_FILE) and the Prometheus /metrics endpoint (issue
 * "Reliability and security", Observability).
 */
import { execFileSync, spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import https from "node:https";
import { tmpdir } from "node:os";
import path from "node:path";
import { describeWithTool, findTool } from "../support/test-env";
import { envelope, signedHeader, startTestApp, type TestApp } from "../support/test-app";

const openssl = findTool(["openssl"], ["version"]);
const promtool = findTool(["promtool"], ["--version"]);

function get(url: string, ca: Buffer): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    https
      .get(url, { ca }, (res) => {
        let body = "";
        res.on("data", (c: Buffer) => (body += c.toString()));
        res.on("end", () => resolve({ status: res.statusCode ?? 0, body }));
      })
      .on("error", reject);
  });
}

describeWithTool("HTTPS", !!openssl, "openssl", () => {
  let dir: string;
  let app: TestApp;
  let cert: Buffer;
  beforeAll(async () => {
    dir = mkdtempSync(path.join(tmpdir(), "mktows-tls-"));
    execFileSync(openssl as string, [
      "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=localhost",
      "-addext", "subjectAltName=IP:127.0.0.1,DNS:localhost",
      "-keyout", path.join(dir, "key.pem"), "-out", path.join(dir, "cert.pem"),
    ], { stdio: "ignore" });
    app = await startTestApp({ TLS_CERT_FILE: path.join(dir, "cert.pem"), TLS_KEY_FILE: path.join(dir, "key.pem") });
    cert = readFileSync(path.join(dir, "cert.pem"));
  });
  afterAll(async () => {
    await app.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it("serves the WSDL over HTTPS with an https soap:address", async () => {
    expect(app.url.startsWith("https://")).toBe(true);
    const res = await get(`${app.url}/soap/mktows/2_2?WSDL`, cert);
    expect(res.status).toBe(200);
    expect(res.body).toMatch(/<soap:address location="https:\/\/127\.0\.0\.1:\d+\/soap\/mktows\/2_2"/);
  });

  it("refuses a half configuration", async () => {
    await expect(startTestApp({ TLS_CERT_FILE: path.join(dir, "cert.pem") })).rejects.toThrow(/TLS_CERT_FILE and TLS_KEY_FILE/);
  });
});

describe("/metrics", () => {
  let app: TestApp;
  beforeAll(async () => {
    app = await startTestApp();
  });
  afterAll(async () => {
    await app.stop();
  });

  it("counts requests, faults by code, latency, pool use and committed unsubscribes with their propagation", async () => {
    const sync = (email: string, unsubscribed: string) =>
      app.postSoap(
        "2_2",
        envelope(
          `<ns1:paramsSyncMultipleLeads><leadRecordList><leadRecord><Email>${email}</Email><leadAttributeList><attribute><attrName>Unsubscribed</attrName><attrValue>${unsubscribed}</attrValue></attribute></leadAttributeList></leadRecord></leadRecordList><dedupEnabled>false</dedupEnabled></ns1:paramsSyncMultipleLeads>`,
        ),
      );
    expect((await sync("m@example.com", "false")).status).toBe(200);
    expect((await sync("m@example.com", "false")).status).toBe(200);
    const client = await app.soapClient();
    await client.syncLeadAsync({ leadRecord: { Email: "m@example.com", leadAttributeList: { attribute: [{ attrName: "Unsubscribed", attrValue: "true" }] } }, returnLead: false });
    await expect(client.getLeadAsync({ leadKey: { keyType: "EMAIL", keyValue: "nobody@example.com" } })).rejects.toBeDefined();

    const res = await fetch(`${app.url}/metrics`);
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toContain("text/plain");
    const text = await res.text();
    const value = (line: string) => Number(new RegExp(`^${line.replace(/[{}"=,]/g, "\\$&")} (\\S+)$`, "m").exec(text)?.[1]);
    expect(value(`mktows_soap_requests_total{operation="syncMultipleLeads",outcome="ok"}`)).toBe(2);
    expect(value(`mktows_soap_requests_total{operation="getLead",outcome="fault"}`)).toBe(1);
    expect(value(`mktows_soap_faults_total{code="20103"}`)).toBe(1);
    expect(value(`mktows_email_status_changes_total{channel="soap",to="unsubscribed"}`)).toBe(1);
    // Two leads share the address: the unsubscribe of one reached the other.
    expect(value(`mktows_propagated_leads_total`)).toBe(1);
    expect(text).toMatch(/^mktows_soap_request_duration_seconds_bucket\{le="\+Inf",operation="syncLead"\} 1$/m);
    expect(text).toMatch(/^mktows_db_pool_connections\{state="total"\} \d+$/m);
  });

  it("counts SOAP requests refused before an operation ran: malformed XML, unknown operation, no endpoint, too large, bad signature", async () => {
    const before = await scrape(app.url);
    expect((await app.postSoap("2_2", envelope("<ns1:paramsGetLead><leadKey></ns1:paramsGetLead>"))).status).toBe(500);
    expect((await app.postSoap("2_2", envelope("<ns1:paramsNoSuchOperation/>"))).status).toBe(500);
    expect((await fetch(`${app.url}/soap/mktows/9_9`, { method: "POST", body: "<x/>" })).status).toBe(404);
    expect((await app.postSoap("2_2", envelope("<ns1:paramsGetLead/>", { ...signedHeader(), requestSignature: "0".repeat(40) }))).status).toBe(500);
    const big = await fetch(`${app.url}/soap/mktows/2_2`, { method: "POST", headers: { "content-type": "text/xml" }, body: "x".repeat(app.config.maxBodyBytes + 1) });
    expect(big.status).toBe(413);
    const after = await scrape(app.url);
    const grew = (series: string) => (after.get(series) ?? 0) - (before.get(series) ?? 0);
    expect(grew(`mktows_soap_refused_total{code="20012",reason="malformed"}`)).toBe(1);
    expect(grew(`mktows_soap_refused_total{code="20019",reason="unknown_operation"}`)).toBe(1);
    expect(grew(`mktows_soap_refused_total{code="20012",reason="no_endpoint"}`)).toBe(1);
    expect(grew(`mktows_soap_refused_total{code="20014",reason="unauthenticated"}`)).toBe(1);
    expect(grew(`mktows_soap_refused_total{code="20012",reason="too_large"}`)).toBe(1);
  });

  it("counts the admin API, web UI, Salesforce and one-click endpoints by status, and has the process metrics", async () => {
    const before = await scrape(app.url);
    expect((await app.admin("GET", "/leads?limit=1")).status).toBe(200);
    expect((await fetch(`${app.url}/admin/api/leads`)).status).toBe(401);
    expect((await fetch(`${app.url}/ui/login`)).status).toBe(200);
    await fetch(`${app.url}/sfdc/outbound`, { method: "POST", body: "<x/>" });
    expect((await fetch(`${app.url}/u/not-a-token`)).status).toBe(404);
    const after = await scrape(app.url);
    const grew = (prefix: string) => [...after].filter(([k]) => k.startsWith(prefix)).reduce((n, [k, v]) => n + v - (before.get(k) ?? 0), 0);
    expect(grew(`mktows_http_requests_total{endpoint="admin",method="GET",status="200"}`)).toBe(1);
    expect(grew(`mktows_http_requests_total{endpoint="admin",method="GET",status="401"}`)).toBe(1);
    expect(grew(`mktows_http_requests_total{endpoint="ui",method="GET",status="200"}`)).toBe(1);
    expect(grew(`mktows_http_requests_total{endpoint="sfdc",method="POST"`)).toBe(1);
    expect(grew(`mktows_http_requests_total{endpoint="unsubscribe",method="GET",status="404"}`)).toBe(1);
    expect(grew(`mktows_http_request_duration_seconds_count{endpoint="admin"}`)).toBe(2);
    for (const series of ["process_cpu_user_seconds_total", "process_resident_memory_bytes", "nodejs_heap_size_used_bytes", "nodejs_eventloop_lag_seconds"]) {
      expect(after.has(series)).toBe(true);
    }
  });

  describeWithTool("promtool check metrics", !!promtool, "prometheus (promtool)", () => {
    it("passes promtool's lint, with every series above present", async () => {
      const text = await (await fetch(`${app.url}/metrics`)).text();
      for (const name of ["mktows_soap_requests_total", "mktows_soap_refused_total", "mktows_http_requests_total", "mktows_http_request_duration_seconds_bucket", "process_cpu_seconds_total", "nodejs_eventloop_lag_seconds"]) {
        expect(text).toContain(`\n${name}`);
      }
      const run = spawnSync(promtool as string, ["check", "metrics"], { input: text, encoding: "utf8", timeout: 30000 });
      expect({ status: run.status, out: run.stdout + run.stderr }).toEqual({ status: 0, out: "" });
    });
  });
});

/** The metrics page as series → value (the series with its labels, as written). */
async function scrape(url: string): Promise<Map<string, number>> {
  const text = await (await fetch(`${url}/metrics`)).text();
  const out = new Map<string, number>();
  for (const line of text.split("\n")) {
    if (!line || line.startsWith("#")) continue;
    const at = line.lastIndexOf(" ");
    out.set(line.slice(0, at), Number(line.slice(at + 1)));
  }
  return out;
}
