/**
 * The server as an operator runs it: the compiled `src/main.ts` (the process entry, with its
 * signal handling) in a child process of its own, configured through the environment only,
 * logging JSON lines on stdout. It is compiled here from the current src/ (transpiled file by
 * file, like ts-node --transpile-only, into a temp dir keyed by the sources' hash), so it is
 * always the source under test, never a stale dist/, and a process starts in about a second
 * instead of the several seconds ts-node takes for each.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import ts from "typescript";
import { TEST_ADMIN_TOKEN, TEST_EMAIL_HASH_KEY, TEST_ENCRYPTION_KEY, TEST_USER_ID } from "./test-app";

const ROOT = path.resolve(__dirname, "..", "..");

export interface LogLine {
  readonly level?: string;
  readonly message?: string;
  readonly [field: string]: unknown;
}

export interface ServerProcess {
  readonly url: string;
  readonly pid: number;
  readonly child: ChildProcess;
  /** stdout lines parsed as JSON (lines that are not JSON are kept as { message: <line> }). */
  readonly logs: LogLine[];
  /** Everything written on stderr. */
  readonly stderr: () => string;
  /** Resolves when the process has exited. */
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** Sends SIGTERM and waits for the exit (SIGKILL after `timeoutMs`). */
  stop(timeoutMs?: number): Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

function sourcesOf(dir: string): string[] {
  const out: string[] = [];
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) out.push(...sourcesOf(p));
    else if (p.endsWith(".ts") && !p.endsWith(".d.ts")) out.push(p);
  }
  return out.sort();
}

/** Compiles src/ into <tmp>/mktows-server-<hash>/src (once per content); returns main.js. */
export function buildServer(): string {
  const files = sourcesOf(path.join(ROOT, "src"));
  // Keyed by the checkout too: its node_modules is linked in, and another checkout's may be gone.
  const hash = createHash("sha256").update(ts.version).update(ROOT);
  const sources = files.map((f) => {
    const text = readFileSync(f, "utf8");
    hash.update(path.relative(ROOT, f)).update("\0").update(text).update("\0");
    return { file: f, text };
  });
  const dir = path.join(tmpdir(), `mktows-server-${hash.digest("hex").slice(0, 16)}`);
  const main = path.join(dir, "src", "main.js");
  if (existsSync(main) && existsSync(path.join(dir, "node_modules", "express"))) return main;
  rmSync(dir, { recursive: true, force: true });
  const config = ts.getParsedCommandLineOfConfigFile(path.join(ROOT, "tsconfig.json"), {}, { ...ts.sys, onUnRecoverableConfigFileDiagnostic: () => undefined });
  const options: ts.CompilerOptions = { ...(config?.options ?? {}), module: ts.ModuleKind.CommonJS, sourceMap: false, inlineSourceMap: true, inlineSources: false };
  const staging = mkdtempSync(`${dir}.staging-`);
  for (const { file, text } of sources) {
    const out = ts.transpileModule(text, { compilerOptions: options, fileName: file });
    const target = path.join(staging, path.relative(ROOT, file)).replace(/\.ts$/, ".js");
    mkdirSync(path.dirname(target), { recursive: true });
    writeFileSync(target, out.outputText);
  }
  // wsdl/ next to src/ (wsdlDir() looks two levels above src/soap), and the packages.
  symlinkSync(path.join(ROOT, "wsdl"), path.join(staging, "wsdl"));
  symlinkSync(path.join(ROOT, "node_modules"), path.join(staging, "node_modules"));
  try {
    renameSync(staging, dir);
  } catch {
    // another test file built the same sources meanwhile
    rmSync(staging, { recursive: true, force: true });
  }
  return main;
}

/**
 * Starts the compiled `src/main.ts` with the test secrets, PORT=0 and `env`, and waits for its
 * "mktows started" line. Its working directory is an empty temp dir, so no `.env` file is read.
 */
export async function spawnServer(env: Record<string, string>, options: { timeoutMs?: number } = {}): Promise<ServerProcess> {
  const cwd = mkdtempSync(path.join(tmpdir(), "mktows-server-"));
  const child = spawn(process.execPath, ["--enable-source-maps", buildServer()], {
    cwd,
    env: {
      PATH: process.env.PATH ?? "/usr/bin:/bin",
      HOME: process.env.HOME ?? cwd,
      PORT: "0",
      HOST: "127.0.0.1",
      MKTOWS_USER_ID: TEST_USER_ID,
      MKTOWS_ENCRYPTION_KEY: TEST_ENCRYPTION_KEY,
      ADMIN_TOKEN: TEST_ADMIN_TOKEN,
      EMAIL_HASH_KEY: TEST_EMAIL_HASH_KEY,
      LOG_LEVEL: "info",
      ...env,
    },
    stdio: ["ignore", "pipe", "pipe"],
  });
  const logs: LogLine[] = [];
  let stderr = "";
  let partial = "";
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    child.once("exit", (code, signal) => {
      rmSync(cwd, { recursive: true, force: true });
      resolve({ code, signal });
    });
  });
  let onLine: ((line: LogLine) => void) | undefined;
  child.stdout?.setEncoding("utf8").on("data", (chunk: string) => {
    const lines = (partial + chunk).split("\n");
    partial = lines.pop() ?? "";
    for (const raw of lines) {
      if (!raw.trim()) continue;
      let line: LogLine;
      try {
        line = JSON.parse(raw) as LogLine;
      } catch {
        line = { message: raw };
      }
      // Keep memory bounded under load: the per-request lines beyond the first thousands add nothing.
      if (logs.length < 20000) logs.push(line);
      onLine?.(line);
    }
  });
  child.stderr?.setEncoding("utf8").on("data", (chunk: string) => {
    if (stderr.length < 1_000_000) stderr += chunk;
  });

  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`the server did not start within ${options.timeoutMs ?? 60000} ms; stderr: ${stderr.slice(-2000)}`)), options.timeoutMs ?? 60000);
    onLine = (line) => {
      if (line.message === "mktows started" && typeof line.url === "string") {
        clearTimeout(timer);
        resolve(`http://127.0.0.1:${new URL(line.url).port}`);
      }
    };
    void exited.then(({ code, signal }) => {
      clearTimeout(timer);
      reject(new Error(`the server exited (code ${code}, signal ${signal}) before it was ready; stderr: ${stderr.slice(-2000)}`));
    });
  }).catch((error: unknown) => {
    if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
    throw error;
  });
  onLine = undefined;

  return {
    url,
    pid: child.pid as number,
    child,
    logs,
    stderr: () => stderr,
    exited,
    async stop(timeoutMs = 30000) {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill("SIGTERM");
        const timer = setTimeout(() => child.kill("SIGKILL"), timeoutMs);
        const result = await exited;
        clearTimeout(timer);
        return result;
      }
      return exited;
    },
  };
}
