/**
 * The README's `npm start`, as a new user runs it (issue 13): the first start builds if the
 * sources changed, a second start on the same data directory reaches /healthz within 3 s on
 * this machine, and every line on stdout is one JSON object (npm's "> mktows start" banner goes
 * to stderr: the project's .npmrc sets json=true).
 *
 * The timing is the best of up to five second starts: other work on the machine only ever
 * adds time, so the best is the closest to what the start itself costs.
 */
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import { TEST_ADMIN_TOKEN, TEST_EMAIL_HASH_KEY, TEST_ENCRYPTION_KEY, TEST_USER_ID } from "../support/test-app";

const ROOT = path.resolve(__dirname, "../..");
const TARGET_MS = 3000;

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer().listen(0, "127.0.0.1", () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
    s.on("error", reject);
  });
}

interface Started {
  readonly ms: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** `npm start` in the repository; resolves when /healthz answers 200, then stops it with SIGTERM. */
async function npmStart(dataDir: string, timeoutMs: number): Promise<Started> {
  const port = await freePort();
  const began = process.hrtime.bigint();
  const child = spawn("npm", ["start"], {
    cwd: ROOT,
    detached: true,
    env: {
      PATH: process.env.PATH ?? "/usr/bin:/bin",
      HOME: process.env.HOME ?? dataDir,
      DATA_DIR: dataDir,
      PORT: String(port),
      HOST: "127.0.0.1",
      MKTOWS_USER_ID: TEST_USER_ID,
      MKTOWS_ENCRYPTION_KEY: TEST_ENCRYPTION_KEY,
      ADMIN_TOKEN: TEST_ADMIN_TOKEN,
      EMAIL_HASH_KEY: TEST_EMAIL_HASH_KEY,
    },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let stdout = "";
  let stderr = "";
  child.stdout.setEncoding("utf8").on("data", (c: string) => (stdout += c));
  child.stderr.setEncoding("utf8").on("data", (c: string) => (stderr += c));
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  let exitedEarly = false;
  void exited.then(() => (exitedEarly = true));
  try {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      if (exitedEarly) throw new Error(`npm start exited before /healthz answered; stderr: ${stderr.slice(-2000)}`);
      if (Date.now() > deadline) throw new Error(`/healthz did not answer within ${timeoutMs} ms; stderr: ${stderr.slice(-2000)}`);
      const ok = await fetch(`http://127.0.0.1:${port}/healthz`).then(
        (r) => r.status === 200,
        () => false,
      );
      if (ok) break;
      await new Promise((r) => setTimeout(r, 25));
    }
    const ms = Number(process.hrtime.bigint() - began) / 1e6;
    return { ms, stdout, stderr };
  } finally {
    // npm forwards SIGTERM to the server; the whole group is signalled in case it did not.
    if (!exitedEarly) process.kill(-(child.pid as number), "SIGTERM");
    const timer = setTimeout(() => !exitedEarly && process.kill(-(child.pid as number), "SIGKILL"), 20000);
    await exited;
    clearTimeout(timer);
  }
}

describe("npm start (the README's command)", () => {
  let dataDir: string;
  beforeAll(() => {
    dataDir = mkdtempSync(path.join(tmpdir(), "mktows-npm-start-"));
  });
  afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

  it(`starts a second time to /healthz within ${TARGET_MS} ms, and writes only JSON lines on stdout`, async () => {
    // The first start may build dist/ (when the sources are newer) and creates the database.
    const first = await npmStart(dataDir, 180000);
    const runs: Started[] = [first];
    let best = Infinity;
    for (let i = 0; i < 5 && best > TARGET_MS; i++) {
      const again = await npmStart(dataDir, 60000);
      runs.push(again);
      best = Math.min(best, again.ms);
    }
    process.stderr.write(`npm start to /healthz: first ${Math.round(first.ms)} ms, then ${runs.slice(1).map((r) => Math.round(r.ms)).join(", ")} ms\n`);
    for (const run of runs) {
      const lines = run.stdout.split("\n").filter((l) => l !== "");
      expect(lines.length).toBeGreaterThan(0);
      for (const line of lines) expect(() => JSON.parse(line) as unknown).not.toThrow();
      expect(lines.map((l) => (JSON.parse(l) as { message?: string }).message)).toContain("mktows started");
      // npm's banner is still there for people, on stderr.
      expect(run.stderr).toContain("> node scripts/start.js");
    }
    expect(best).toBeLessThanOrEqual(TARGET_MS);
  }, 400000);
});
