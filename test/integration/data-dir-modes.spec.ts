/**
 * The embedded database's files (issue 11, item 1): DATA_DIR holds every lead, the generated
 * admin token, the SOAP key and EMAIL_HASH_KEY in plaintext, so only the server's own user may
 * read or write it — whatever the umask it was started with, for the files PGlite creates as it
 * runs (the WAL), and for a DATA_DIR an older version left readable (narrowed at start, with a
 * log line).
 */
import { chmodSync, lstatSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { startEmbeddedApp, type EmbeddedApp } from "../support/embedded-app";
import { envelope, signedHeader } from "../support/test-app";

/** Every path under dir whose mode gives group or others any access. */
function openToOthers(dir: string): string[] {
  const out: string[] = [];
  const walk = (p: string) => {
    const st = lstatSync(p);
    if (st.isSymbolicLink()) return;
    if (st.mode & 0o077) out.push(`${path.relative(dir, p) || "."} ${(st.mode & 0o777).toString(8)}`);
    if (st.isDirectory()) for (const name of readdirSync(p)) walk(path.join(p, name));
  };
  walk(dir);
  return out;
}

function allEntries(dir: string): number {
  let n = 0;
  const walk = (p: string) => {
    n++;
    if (lstatSync(p).isDirectory()) for (const name of readdirSync(p)) walk(path.join(p, name));
  };
  walk(dir);
  return n;
}

describe("DATA_DIR is private to the server's user (embedded database)", () => {
  let app: EmbeddedApp | undefined;
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(path.join(tmpdir(), "mktows-modes-"));
  });
  afterEach(async () => {
    await app?.stop();
    app = undefined;
    rmSync(dir, { recursive: true, force: true });
  });

  it("a new DATA_DIR is 0700 and its files 0600 under umask 000, WAL written after start included", async () => {
    app = await startEmbeddedApp({}, { dir, umask: 0 });
    const header = signedHeader({ userId: app.secrets.mktowsUserId, key: app.secrets.mktowsEncryptionKey });
    const body = `<ns1:paramsSyncLead><leadRecord><Email>modes@example.com</Email><leadAttributeList><attribute><attrName>Unsubscribed</attrName><attrValue>true</attrValue></attribute></leadAttributeList></leadRecord></ns1:paramsSyncLead>`;
    const res = await fetch(`${app.url}/soap/mktows/2_2`, { method: "POST", headers: { "content-type": "text/xml" }, body: envelope(body, header) });
    expect(res.status).toBe(200);
    await app.stop({ keepDir: true });
    app = undefined;
    const data = path.join(dir, "data");
    expect(allEntries(data)).toBeGreaterThan(10);
    expect(lstatSync(data).mode & 0o777).toBe(0o700);
    expect(openToOthers(data)).toEqual([]);
  });

  it("an existing DATA_DIR left open to others is narrowed at start, with a log line", async () => {
    const data = path.join(dir, "data");
    mkdirSync(path.join(data, "old"), { recursive: true });
    writeFileSync(path.join(data, "old", "stray"), "secret");
    chmodSync(data, 0o755);
    chmodSync(path.join(data, "old"), 0o777);
    chmodSync(path.join(data, "old", "stray"), 0o666);
    app = await startEmbeddedApp({}, { dir, umask: 0o022 });
    expect(openToOthers(data)).toEqual([]);
    expect(app.logs.some((l) => l.startsWith("warn: DATA_DIR was readable by other users"))).toBe(true);
    await app.stop({ keepDir: true });
    app = undefined;

    // A start on a private DATA_DIR has nothing to narrow and says nothing.
    app = await startEmbeddedApp({}, { dir });
    expect(app.logs.some((l) => l.includes("DATA_DIR was readable"))).toBe(false);
  });
});
