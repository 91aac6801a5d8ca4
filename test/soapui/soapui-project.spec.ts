/**
 * soapui/mktows-soapui-project.xml, checked without SoapUI: the project's structure (one test
 * case per lead operation, signed headers, assertions), every request validated against the
 * schema of the served 2_2 WSDL (validate.py, python3-lxml), the test suite run in order against
 * a real server with SoapUI's property expansion and assertions reproduced here, and the
 * project's Groovy signing script run with Debian's Groovy 2.4 (the line SoapUI 5.x bundles).
 */
import { execFile } from "node:child_process";
import { createHmac } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { DOMParser } from "@xmldom/xmldom";
import { describeWithTool, findTool } from "../support/test-env";
import { GROOVY_RUNNER, groovyAvailable, groovyEnv } from "../support/groovy";
import { startTestApp, TEST_ENCRYPTION_KEY, TEST_USER_ID, type TestApp } from "../support/test-app";
import { parseWsdl } from "../support/wsdl-model";

const PROJECT_FILE = path.join(__dirname, "..", "..", "soapui", "mktows-soapui-project.xml");
const VALIDATOR = path.join(__dirname, "validate.py");
const CON = "http://eviware.com/soapui/config";
const XSI = "http://www.w3.org/2001/XMLSchema-instance";
const SOAP_ENV = "http://schemas.xmlsoap.org/soap/envelope/";
const MKTOWS = "http://www.marketo.com/mktows/";
const INTERFACE = "MktowsApiSoapBinding";
const ENDPOINT = "${#Project#endpoint}/soap/mktows/2_2";
/** The lead operations, in the order the test suite runs them (the first two create the leads). */
const LEAD_OPERATIONS = ["syncLead", "syncMultipleLeads", "getLead", "getMultipleLeads", "getLeadActivity", "getLeadChanges", "listOperation", "mergeLeads"];

// ---------------------------------------------------------------- reading the project

interface Assertion {
  type: string;
  name: string;
  token?: string;
  ignoreCase?: boolean;
  useRegEx?: boolean;
}

interface TestRequest {
  testCase: string;
  interface: string;
  operation: string;
  endpoint: string;
  body: string;
  assertions: Assertion[];
  setupScript: string | null;
}

interface Project {
  doc: Document;
  root: Element;
  properties: Map<string, string>;
  iface: Element;
  operations: Map<string, { action: string; calls: Array<{ endpoint: string; body: string }> }>;
  suiteSetupScript: string | null;
  testRequests: TestRequest[];
  eventHandlers: Array<{ type: string; script: string }>;
}

function children(parent: Element, local: string): Element[] {
  const out: Element[] = [];
  for (let i = 0; i < parent.childNodes.length; i++) {
    const n = parent.childNodes.item(i);
    if (n && n.nodeType === 1 && (n as Element).namespaceURI === CON && (n as Element).localName === local) out.push(n as Element);
  }
  return out;
}

function child(parent: Element, local: string): Element | null {
  return children(parent, local)[0] ?? null;
}

function text(parent: Element, local: string): string | null {
  const el = child(parent, local);
  return el ? (el.textContent ?? "") : null;
}

function parseXml(xml: string): { doc: Document; errors: string[] } {
  const errors: string[] = [];
  const report = (e: string) => errors.push(e);
  const doc = new DOMParser({ errorHandler: { warning: report, error: report, fatalError: report } }).parseFromString(xml, "text/xml");
  return { doc, errors };
}

function readProject(): Project {
  const { doc, errors } = parseXml(readFileSync(PROJECT_FILE, "utf8"));
  if (errors.length) throw new Error(`the project file is not well-formed XML: ${errors.join("; ")}`);
  const root = doc.documentElement as Element;
  const properties = new Map<string, string>();
  for (const p of children(child(root, "properties") as Element, "property")) properties.set(text(p, "name") ?? "", text(p, "value") ?? "");
  const iface = child(root, "interface") as Element;
  const operations: Project["operations"] = new Map();
  for (const op of children(iface, "operation")) {
    const calls = children(op, "call").map((c) => ({ endpoint: text(c, "endpoint") ?? "", body: text(c, "request") ?? "" }));
    operations.set(op.getAttribute("name") ?? "", { action: op.getAttribute("action") ?? "", calls });
  }
  const suite = child(root, "testSuite") as Element;
  const testRequests: TestRequest[] = [];
  for (const tc of children(suite, "testCase")) {
    for (const step of children(tc, "testStep")) {
      const config = child(step, "config") as Element;
      const request = child(config, "request") as Element;
      testRequests.push({
        testCase: tc.getAttribute("name") ?? "",
        interface: text(config, "interface") ?? "",
        operation: text(config, "operation") ?? "",
        endpoint: text(request, "endpoint") ?? "",
        body: text(request, "request") ?? "",
        assertions: children(request, "assertion").map((a) => {
          const conf = child(a, "configuration");
          const sub = (name: string) => (conf ? (conf.getElementsByTagName(name)[0]?.textContent ?? undefined) : undefined);
          return {
            type: a.getAttribute("type") ?? "",
            name: a.getAttribute("name") ?? "",
            ...(conf ? { token: sub("token"), ignoreCase: sub("ignoreCase") === "true", useRegEx: sub("useRegEx") === "true" } : {}),
          };
        }),
        setupScript: text(tc, "setupScript"),
      });
    }
  }
  return {
    doc,
    root,
    properties,
    iface,
    operations,
    suiteSetupScript: text(suite, "setupScript"),
    testRequests,
    eventHandlers: children(root, "eventHandlers").map((e) => ({ type: e.getAttribute("type") ?? "", script: text(e, "script") ?? "" })),
  };
}

// ---------------------------------------------------------------- what SoapUI does with a request

const hmac = (key: string, message: string) => createHmac("sha1", key).update(message, "utf8").digest("hex");

/** A fresh timestamp and signature, as the project's Groovy script computes them. */
function signedProperties(props: Map<string, string>): Map<string, string> {
  const out = new Map(props);
  const timestamp = new Date().toISOString().replace(/\.\d{3}Z$/, "+00:00");
  out.set("requestTimestamp", timestamp);
  out.set("requestSignature", hmac(out.get("encryptionKey") ?? "", timestamp + (out.get("userId") ?? "")));
  return out;
}

/** SoapUI's ${#Project#name} expansion; anything left unexpanded is an error. */
function expand(template: string, props: Map<string, string>): string {
  const out = template.replace(/\$\{#Project#([^}]+)\}/g, (_m, name: string) => {
    const v = props.get(name);
    if (v === undefined) throw new Error(`no project property ${name}`);
    return v;
  });
  if (out.includes("${")) throw new Error(`an expansion other than #Project# is left in: ${out.slice(out.indexOf("${"), out.indexOf("${") + 60)}`);
  return out;
}

function bodyChild(xml: string): Element | null {
  const { doc, errors } = parseXml(xml);
  if (errors.length) return null;
  const root = doc.documentElement;
  if (!root || root.namespaceURI !== SOAP_ENV || root.localName !== "Envelope") return null;
  const body = root.getElementsByTagNameNS(SOAP_ENV, "Body")[0];
  if (!body) return null;
  for (let i = 0; i < body.childNodes.length; i++) {
    const n = body.childNodes.item(i);
    if (n && n.nodeType === 1) return n as Element;
  }
  return null;
}

/** SoapUI's SOAP Response, Not SOAP Fault ("SOAP Fault Assertion") and Contains assertions. */
function runAssertion(a: Assertion, response: string, props: Map<string, string>): string | null {
  const first = bodyChild(response);
  switch (a.type) {
    case "SOAP Response":
      return first ? null : "Response is not a SOAP 1.1 envelope with a Body";
    case "SOAP Fault Assertion":
      return first && !(first.namespaceURI === SOAP_ENV && first.localName === "Fault") ? null : "Response is a SOAP Fault";
    case "Simple Contains": {
      const token = expand(a.token ?? "", props).replace(/\r\n/g, "\n");
      const content = response.replace(/\r\n/g, "\n");
      if (a.useRegEx) {
        // Java's String.matches: the whole content; only the (?s) flag is used by the project.
        const dotAll = token.startsWith("(?s)");
        const source = dotAll ? token.slice(4) : token;
        if (/\(\?[a-z]/.test(source)) throw new Error(`unsupported inline flag in ${token}`);
        return new RegExp(`^(?:${source})$`, dotAll ? "s" : "").test(content) ? null : `Missing token [${token}] in Response`;
      }
      const found = a.ignoreCase ? content.toUpperCase().includes(token.toUpperCase()) : content.includes(token);
      return found ? null : `Missing token [${token}] in Response`;
    }
    default:
      return `assertion type ${a.type} is not reproduced by this test`;
  }
}

interface ValidationResult {
  name: string;
  body: string | null;
  headers: string[];
  errors: string[];
}

function runValidator(python: string, wsdlFile: string, requests: Array<{ name: string; xml: string }>): Promise<ValidationResult[]> {
  return new Promise((resolve, reject) => {
    const child = execFile(python, [VALIDATOR, wsdlFile], { timeout: 60_000, maxBuffer: 16 * 1024 * 1024 }, (error, stdout, stderr) => {
      if (error) return reject(new Error(`validate.py failed: ${stderr}${stdout}`));
      resolve(JSON.parse(stdout) as ValidationResult[]);
    });
    child.stdin?.end(JSON.stringify(requests));
  });
}

const capitalized = (op: string) => op[0].toUpperCase() + op.slice(1);

// ---------------------------------------------------------------- the project file itself

describe("SoapUI project file (soapui/mktows-soapui-project.xml)", () => {
  const project = readProject();

  it("is a SoapUI 5.x project with the connection and signature properties", () => {
    expect([project.root.namespaceURI, project.root.localName]).toEqual([CON, "soapui-project"]);
    expect(project.root.getAttribute("soapui-version")).toMatch(/^5\.\d+\.\d+$/);
    for (const name of ["endpoint", "userId", "encryptionKey", "requestTimestamp", "requestSignature"]) expect(project.properties.has(name)).toBe(true);
    expect(project.properties.get("endpoint")).toMatch(/^https?:\/\/[^/]+$/);
  });

  it("loads its interface from the served 2_2 WSDL", () => {
    const i = project.iface;
    expect(i.getAttributeNS(XSI, "type")).toBe("con:WsdlInterface");
    expect({
      name: i.getAttribute("name"),
      type: i.getAttribute("type"),
      bindingName: i.getAttribute("bindingName"),
      soapVersion: i.getAttribute("soapVersion"),
      definition: i.getAttribute("definition"),
      endpoints: children(child(i, "endpoints") as Element, "endpoint").map((e) => e.textContent),
    }).toEqual({
      name: INTERFACE,
      type: "wsdl",
      bindingName: `{${MKTOWS}}MktowsApiSoapBinding`,
      soapVersion: "1_1",
      definition: "${#Project#endpoint}/soap/mktows/2_2?WSDL",
      endpoints: [ENDPOINT],
    });
  });

  it("has one test case per lead operation, each one signed request with the three assertions", () => {
    expect(project.testRequests.map((r) => r.testCase)).toEqual(LEAD_OPERATIONS);
    for (const r of project.testRequests) {
      expect({ testCase: r.testCase, interface: r.interface, operation: r.operation, endpoint: r.endpoint }).toEqual({
        testCase: r.testCase,
        interface: INTERFACE,
        operation: r.testCase,
        endpoint: ENDPOINT,
      });
      expect(project.operations.has(r.operation)).toBe(true);
      expect(r.body).toContain("<mktowsUserId>${#Project#userId}</mktowsUserId>");
      expect(r.body).toContain("<requestSignature>${#Project#requestSignature}</requestSignature>");
      expect(r.body).toContain("<requestTimestamp>${#Project#requestTimestamp}</requestTimestamp>");
      expect(r.assertions.map((a) => [a.type, a.name])).toEqual([
        ["SOAP Response", "SOAP Response"],
        ["SOAP Fault Assertion", "Not SOAP Fault"],
        ["Simple Contains", "Contains"],
      ]);
    }
  });

  it("signs with one Groovy script, run before the suite, before each test case and (ReadyAPI) before each request", () => {
    const script = project.suiteSetupScript ?? "";
    expect(script).toContain("Mac.getInstance('HmacSHA1')");
    expect(script).toContain("(timestamp + userId)");
    expect(script).toContain("encodeHex()");
    expect(script).toContain("project.setPropertyValue('requestTimestamp', timestamp)");
    expect(script).toContain("project.setPropertyValue('requestSignature', signature)");
    for (const r of project.testRequests) expect(r.setupScript).toBe(script);
    expect(project.eventHandlers).toEqual([{ type: "RequestFilter.filterRequest", script }]);
  });

  it("uses only project properties that exist", () => {
    const used = new Set([...readFileSync(PROJECT_FILE, "utf8").matchAll(/\$\{#Project#([^}]+)\}/g)].map((m) => m[1]));
    expect([...used].filter((n) => !project.properties.has(n))).toEqual([]);
    expect(readFileSync(PROJECT_FILE, "utf8").match(/\$\{(?!#Project#)/g)).toBeNull();
  });
});

// ---------------------------------------------------------------- against the served WSDL and a server

const python = findTool(["/usr/bin/python3", "python3"], ["-c", "import lxml.etree"]);

describeWithTool("SoapUI project requests against the served WSDL and the server", python !== undefined, "python3-lxml", () => {
  const project = readProject();
  let app: TestApp;
  let dir: string;
  let wsdlFile: string;
  let props: Map<string, string>;

  beforeAll(async () => {
    app = await startTestApp();
    dir = mkdtempSync(path.join(os.tmpdir(), "mktows-soapui-"));
    wsdlFile = path.join(dir, "mktows-2_2.wsdl");
    writeFileSync(wsdlFile, await (await fetch(`${app.url}/soap/mktows/2_2?WSDL`)).text());
    props = new Map(project.properties);
    props.set("endpoint", app.url);
    props.set("userId", TEST_USER_ID);
    props.set("encryptionKey", TEST_ENCRYPTION_KEY);
  });
  afterAll(async () => {
    await app.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it("lists the served WSDL's operations with their soapActions", () => {
    const wsdl = parseWsdl(readFileSync(wsdlFile, "utf8"));
    const served = Object.fromEntries(Object.entries(wsdl.operations).map(([name, op]) => [name, op.soapAction]));
    const listed = Object.fromEntries([...project.operations].map(([name, op]) => [name, op.action]));
    expect(listed).toEqual(served);
    expect(`{${wsdl.targetNamespace}}${wsdl.binding.name}`).toBe(project.iface.getAttribute("bindingName"));
    // An interface request for each lead operation, for trying it by hand.
    for (const op of LEAD_OPERATIONS) expect(project.operations.get(op)?.calls.map((c) => c.endpoint)).toEqual([ENDPOINT]);
  });

  it("every request (test steps and interface requests) validates against the served WSDL's schema", async () => {
    const signed = signedProperties(props);
    const requests = [
      ...project.testRequests.map((r) => ({ name: `test case ${r.testCase}`, op: r.operation, xml: expand(r.body, signed) })),
      ...LEAD_OPERATIONS.flatMap((op) => (project.operations.get(op)?.calls ?? []).map((c) => ({ name: `interface request ${op}`, op, xml: expand(c.body, signed) }))),
    ];
    expect(requests).toHaveLength(2 * LEAD_OPERATIONS.length);
    const results = await runValidator(python as string, wsdlFile, requests);
    expect(results).toEqual(
      requests.map((r) => ({ name: r.name, body: `{${MKTOWS}}params${capitalized(r.op)}`, headers: [`{${MKTOWS}}AuthenticationHeader`], errors: [] })),
    );
  });

  it("the validator rejects a request that breaks the schema", async () => {
    const getLead = project.testRequests.find((r) => r.operation === "getLead") as TestRequest;
    const broken = expand(getLead.body, signedProperties(props)).replace("<keyType>EMAIL</keyType>", "<keyType>NOSUCHKEY</keyType>");
    const [result] = await runValidator(python as string, wsdlFile, [{ name: "broken", xml: broken }]);
    expect(result.errors.join("\n")).toMatch(/keyType.*NOSUCHKEY/);
  });

  it("runs the test suite in order against the server, twice, with every assertion passing", async () => {
    await app.reset();
    expect((await app.admin("POST", "/lists", { programName: "SoapUI", name: "Members" })).status).toBe(201);
    expect(props.get("listName")).toBe("SoapUI.Members");

    const runSuite = async () => {
      const out: Record<string, string> = {};
      for (const r of project.testRequests) {
        // getLeadChanges lists a row only once every transaction older than it has ended, in the
        // whole PostgreSQL cluster (commit order); an empty page is a valid "nothing yet", so poll
        // as an integration would while another database on the server is busy.
        let response = "";
        for (let attempt = 0; ; attempt++) {
          const signed = signedProperties(props); // the test case setup script runs before each test case
          const res = await fetch(expand(r.endpoint, signed), {
            method: "POST",
            headers: { "content-type": "text/xml;charset=UTF-8", soapaction: `"${project.operations.get(r.operation)?.action ?? ""}"` },
            body: expand(r.body, signed),
          });
          response = await res.text();
          const first = bodyChild(response);
          expect({ testCase: r.testCase, status: res.status, element: first ? `{${first.namespaceURI}}${first.localName}` : response.slice(0, 600) }).toEqual({
            testCase: r.testCase,
            status: 200,
            element: `{${MKTOWS}}success${capitalized(r.operation)}`,
          });
          const failed = r.assertions.map((a) => runAssertion(a, response, signed)).filter((x) => x !== null);
          if (r.operation === "getLeadChanges" && failed.length > 0 && response.includes("<returnCount>0</returnCount>") && attempt < 40) {
            await new Promise((resolve) => setTimeout(resolve, 250));
            continue;
          }
          expect({ testCase: r.testCase, failed }).toEqual({ testCase: r.testCase, failed: [] });
          break;
        }
        out[r.testCase] = response;
      }
      return out;
    };

    const first = await runSuite();
    expect(first.syncLead).toContain("<leadId>1</leadId>");
    expect(first.syncLead).toContain("<status>CREATED</status>");
    expect(first.syncMultipleLeads).toMatch(/<leadId>2<\/leadId><status>CREATED<\/status>[\s\S]*<leadId>3<\/leadId><status>CREATED<\/status>/);
    expect(first.getLead).toContain("<Email>soapui.lead@example.com</Email>");
    expect(first.mergeLeads).toMatch(/<winningLeadId>2<\/winningLeadId><losingLeadIdList><integerItem>3<\/integerItem><\/losingLeadIdList><status>MERGED<\/status>/);

    // Run again: the same project works on a server that already has its data.
    const second = await runSuite();
    expect(second.syncLead).toContain("<status>UPDATED</status>");
    expect(second.syncMultipleLeads).toMatch(/<leadId>2<\/leadId><status>UPDATED<\/status>[\s\S]*<leadId>4<\/leadId><status>CREATED<\/status>/);
    expect(second.mergeLeads).toMatch(/<winningLeadId>2<\/winningLeadId><losingLeadIdList><integerItem>4<\/integerItem><\/losingLeadIdList>/);
  });

  it("a test case's assertions fail on a wrong signature", async () => {
    const r = project.testRequests.find((x) => x.operation === "getLead") as TestRequest;
    const signed = signedProperties(props);
    signed.set("requestSignature", "0".repeat(40));
    const res = await fetch(expand(r.endpoint, signed), { method: "POST", headers: { "content-type": "text/xml;charset=UTF-8" }, body: expand(r.body, signed) });
    const response = await res.text();
    expect(res.status).toBe(500);
    expect(r.assertions.map((a) => runAssertion(a, response, signed))).toEqual([null, "Response is a SOAP Fault", "Missing token [<count>1</count>] in Response"]);
  });
});

// ---------------------------------------------------------------- the Groovy signing script

describeWithTool("SoapUI project signing script (Groovy)", groovyAvailable(), "groovy (Debian)", () => {
  const project = readProject();
  let dir: string;
  let app: TestApp;
  beforeAll(async () => {
    dir = mkdtempSync(path.join(os.tmpdir(), "mktows-soapui-groovy-"));
    app = await startTestApp();
  });
  afterAll(async () => {
    await app.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  const runScript = (script: string, binding: string, key = TEST_ENCRYPTION_KEY): Promise<Map<string, string>> => {
    const file = path.join(dir, `sign_${binding}.groovy`);
    writeFileSync(file, script);
    return new Promise((resolve, reject) => {
      execFile("groovy", [GROOVY_RUNNER, file, binding, TEST_USER_ID, key], { timeout: 120_000, env: groovyEnv() }, (error, stdout, stderr) => {
        if (error) return reject(new Error(`groovy ${binding} failed:\n${stderr}${stdout}`));
        resolve(new Map(stdout.trim().split("\n").map((l) => [l.slice(0, l.indexOf("=")), l.slice(l.indexOf("=") + 1)] as [string, string])));
      });
    });
  };

  it.each([
    ["testCase", "test case setup script"],
    ["testSuite", "test suite setup script"],
    ["request", "RequestFilter.filterRequest event"],
  ])("with the %s binding (%s) computes a signature the server accepts", async (binding) => {
    const script = binding === "request" ? project.eventHandlers[0].script : binding === "testSuite" ? (project.suiteSetupScript ?? "") : (project.testRequests[0].setupScript ?? "");
    const props = await runScript(script, binding);
    const timestamp = props.get("requestTimestamp") ?? "";
    expect(timestamp).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+00:00$/);
    expect(Math.abs(Date.parse(timestamp) - Date.now())).toBeLessThan(5 * 60 * 1000);
    expect(props.get("requestSignature")).toBe(hmac(TEST_ENCRYPTION_KEY, timestamp + TEST_USER_ID));

    // The signed header, as SoapUI would expand it, is accepted (syncLead needs no prior data).
    const syncLead = project.testRequests.find((r) => r.operation === "syncLead") as TestRequest;
    const expanded = new Map(project.properties);
    expanded.set("endpoint", app.url);
    expanded.set("userId", TEST_USER_ID);
    for (const [k, v] of props) expanded.set(k, v);
    const res = await fetch(expand(syncLead.endpoint, expanded), { method: "POST", headers: { "content-type": "text/xml;charset=UTF-8" }, body: expand(syncLead.body, expanded) });
    expect(res.status).toBe(200);
  });

  it("fails with a clear message when userId or encryptionKey is not set", async () => {
    await expect(runScript(project.suiteSetupScript ?? "", "testSuite", "")).rejects.toThrow(/set the project properties userId and encryptionKey/);
  });
});
