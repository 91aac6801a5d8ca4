/**
 * The README's client quickstart, run as printed (issue 13): each snippet is taken from
 * README.md (the fenced block after its `<!-- snippet: NAME -->` marker), written to a file and
 * run with the real tool against a real server, with MKTOWS_URL, MKTOWS_USER_ID and
 * MKTOWS_ENCRYPTION_KEY set as the README says. A snippet that no longer works fails here.
 */
import { execFile } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { GROOVY_RUNNER, groovyAvailable, groovyEnv } from "../support/groovy";
import { describeWithTool, findTool } from "../support/test-env";
import { startTestApp, TEST_ENCRYPTION_KEY, TEST_USER_ID, type TestApp } from "../support/test-app";

const README = path.join(__dirname, "..", "..", "README.md");

/** Every `<!-- snippet: NAME -->` of the README with the fenced block that follows it. */
export function readmeSnippets(text = readFileSync(README, "utf8")): Map<string, { lang: string; code: string }> {
  const out = new Map<string, { lang: string; code: string }>();
  const re = /<!-- snippet: ([a-z-]+) -->\n```([a-z]*)\n([\s\S]*?)\n```/g;
  for (const m of text.matchAll(re)) out.set(m[1], { lang: m[2], code: m[3] + "\n" });
  return out;
}

const snippets = readmeSnippets();
const code = (name: string): string => {
  const s = snippets.get(name);
  if (!s) throw new Error(`README.md has no snippet "${name}"`);
  return s.code;
};

const python = findTool(["/usr/bin/python3", "python3"], ["-c", "import zeep"]);
const php = findTool(["php"], ["-r", "exit(class_exists('SoapClient') ? 0 : 1);"]);
const curl = findTool(["curl"], ["--version"]);
const openssl = findTool(["openssl"], ["version"]);
const java = findTool(["wsimport"], ["-version"]) !== undefined && findTool(["javac"], ["-version"]) !== undefined && existsSync("/usr/share/java/jaxws-rt.jar");
const mono = findTool(["mcs"], ["--version"]) !== undefined && findTool(["wsdl"], ["-nologo"]) !== undefined && findTool(["mono"], ["--version"]) !== undefined;

let app: TestApp;
let dir: string;
beforeAll(async () => {
  app = await startTestApp();
  dir = mkdtempSync(path.join(tmpdir(), "mktows-readme-"));
});
afterAll(async () => {
  await app?.stop();
  rmSync(dir, { recursive: true, force: true });
});

/** Runs a command in a folder of its own with the README's environment; resolves with stdout. */
function run(folder: string, command: string, args: string[], env: NodeJS.ProcessEnv = process.env): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(
      command,
      args,
      { cwd: folder, timeout: 300_000, maxBuffer: 16 * 1024 * 1024, env: { ...env, MKTOWS_URL: app.url, MKTOWS_USER_ID: TEST_USER_ID, MKTOWS_ENCRYPTION_KEY: TEST_ENCRYPTION_KEY } },
      (error, stdout, stderr) => {
        if (error) reject(new Error(`${command} ${args.join(" ")} failed: ${error.message}\n${stderr}\n${stdout}`));
        else resolve(stdout);
      },
    );
  });
}

function folder(name: string, files: Record<string, string>): string {
  const f = mkdtempSync(path.join(dir, `${name}-`));
  for (const [file, text] of Object.entries(files)) writeFileSync(path.join(f, file), text);
  return f;
}

const lastLine = (stdout: string): string => stdout.trim().split("\n").pop() ?? "";

/** The lead as the server has it, read with node-soap: the snippet's write really happened. */
async function serverLead(email: string): Promise<{ id: number; firstName?: string }> {
  const client = await app.soapClient();
  const [res] = (await client.getLeadAsync({ leadKey: { keyType: "EMAIL", keyValue: email } })) as [{ result: { leadRecordList: { leadRecord: Array<Record<string, unknown>> } } }];
  const lead = res.result.leadRecordList.leadRecord[0];
  const attrs = (lead.leadAttributeList as { attribute: Array<{ attrName: string; attrValue: string }> } | undefined)?.attribute ?? [];
  return { id: Number(lead.Id), firstName: attrs.find((a) => a.attrName === "FirstName")?.attrValue };
}

describe("README client quickstart", () => {
  it("has every snippet the test runs", () => {
    expect([...snippets.keys()].sort()).toEqual(["curl", "dotnet", "dotnet-run", "java", "java-run", "php", "soapui-request", "soapui-script", "zeep"]);
  });
});

describeWithTool("README snippet: Python zeep", python !== undefined, "python3-zeep", () => {
  it("syncs and reads a lead, printing its Id and Email", async () => {
    const out = await run(folder("zeep", { "quickstart.py": code("zeep") }), python as string, ["quickstart.py"]);
    const lead = await serverLead("ada@example.com");
    expect(lastLine(out)).toBe(`${lead.id} ada@example.com`);
    expect(lead.firstName).toBe("Ada");
  });
});

describeWithTool("README snippet: curl", curl !== undefined && openssl !== undefined, "curl and openssl", () => {
  it("reads a lead with a hand-signed header", async () => {
    await (await app.soapClient()).syncLeadAsync({ leadRecord: { Email: "ada@example.com" }, returnLead: false });
    const out = await run(folder("curl", { "quickstart.sh": code("curl") }), "sh", ["quickstart.sh"]);
    const lead = await serverLead("ada@example.com");
    expect(out).toContain("<ns1:successGetLead");
    expect(out).toContain(`<Id>${lead.id}</Id><Email>ada@example.com</Email>`);
  });
});

describeWithTool("README snippet: PHP SoapClient", php !== undefined, "php-cli and php-soap", () => {
  it("syncs and reads a lead, printing its Id and Email", async () => {
    const out = await run(folder("php", { "quickstart.php": code("php") }), php as string, ["quickstart.php"]);
    const lead = await serverLead("grace@example.com");
    expect(lastLine(out)).toBe(`${lead.id} grace@example.com`);
    expect(lead.firstName).toBe("Grace");
  });
});

describeWithTool("README snippet: Java (wsimport stubs)", java, "the jaxws package (wsimport, libjaxws-java) and a JDK", () => {
  it("generates the stubs, compiles, syncs and reads a lead", async () => {
    const out = await run(folder("java", { "Quickstart.java": code("java"), "run.sh": code("java-run") }), "sh", ["-e", "run.sh"]);
    const lead = await serverLead("linus@example.com");
    expect(lastLine(out)).toBe(`${lead.id} linus@example.com`);
  });
});

describeWithTool("README snippet: .NET / Mono (wsdl proxy)", mono, "mono-devel (wsdl, mcs, mono)", () => {
  it("generates the proxy, compiles, syncs and reads a lead", async () => {
    const out = await run(folder("dotnet", { "Quickstart.cs": code("dotnet"), "run.sh": code("dotnet-run") }), "sh", ["-e", "run.sh"]);
    const lead = await serverLead("alan@example.com");
    expect(lastLine(out)).toBe(`${lead.id} alan@example.com`);
    expect(lead.firstName).toBe("Alan");
  });
});

describeWithTool("README snippet: SoapUI setup script and request", groovyAvailable(), "groovy (Debian)", () => {
  it("signs with the setup script, and the request as SoapUI expands it reads the lead", async () => {
    await (await app.soapClient()).syncLeadAsync({ leadRecord: { Email: "ada@example.com" }, returnLead: false });
    const f = folder("soapui", { "setup.groovy": code("soapui-script") });
    const printed = await run(f, "groovy", [GROOVY_RUNNER, path.join(f, "setup.groovy"), "testCase", TEST_USER_ID, TEST_ENCRYPTION_KEY], groovyEnv());
    const props = new Map(printed.trim().split("\n").map((l) => [l.slice(0, l.indexOf("=")), l.slice(l.indexOf("=") + 1)] as [string, string]));
    const request = code("soapui-request").replace(/\$\{#Project#([A-Za-z]+)\}/g, (_m, name: string) => {
      const value = props.get(name);
      if (value === undefined) throw new Error(`no project property ${name}`);
      return value;
    });
    const res = await app.postSoap("2_2", request);
    const lead = await serverLead("ada@example.com");
    expect(res.status).toBe(200);
    expect(res.body).toContain(`<Id>${lead.id}</Id><Email>ada@example.com</Email>`);
  });
});
