/**
 * Optional HTTPS (TLS_CERT_FILE, TLS_KEY_FILE) and the Prometheus /metrics endpoint (issue
 * "Reliability and security", Observability).
 */
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import https from "node:https";
import { tmpdir } from "node:os";
import path from "node:path";
import { describeWithTool, findTool } from "../support/test-env";
import { envelope, startTestApp, type TestApp } from "../support/test-app";

const openssl = findTool(["openssl"], ["version"]);

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
    expect(text).toMatch(/^mktows_soap_request_duration_seconds_bucket\{operation="syncLead",le="\+Inf"\} 1$/m);
    expect(text).toMatch(/^mktows_db_pool_connections\{state="total"\} \d+$/m);
  });
});
