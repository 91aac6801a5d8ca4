/**
 * The application on the embedded default database (no DATABASE_URL, DATA_DIR a temp dir),
 * started with startApplication() in a child process (see embedded-app-child.ts for why), and
 * driven over HTTP. `query` runs SQL on the app's own DataSource, in the child.
 */
import { fork, type ChildProcess } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";

export type ChildMessage =
  | { type: "ready"; url: string; databaseKind: string; secrets: EmbeddedSecrets }
  | { type: "failed"; name: string; message: string }
  | { type: "log"; level: string; line: string }
  | { type: "result"; id: number; rows?: unknown; error?: { message: string; code?: string } }
  | { type: "stopped" };

export type ParentMessage = { type: "query"; id: number; sql: string; params?: unknown[] } | { type: "stop" };

export interface EmbeddedSecrets {
  readonly emailHashKey: string;
  readonly mktowsUserId: string;
  readonly mktowsEncryptionKey: string;
  readonly adminToken: string;
}

export interface EmbeddedApp {
  readonly url: string;
  readonly databaseKind: string;
  readonly secrets: EmbeddedSecrets;
  /** The directory given as DATA_DIR's parent (and loadConfig's cwd). */
  readonly dir: string;
  /** Error and warning lines the app logged, each starting with `error: ` or `warn: `. */
  readonly logs: string[];
  query(sql: string, params?: unknown[]): Promise<any>; // eslint-disable-line @typescript-eslint/no-explicit-any
  /** Stops the app (and its database); removes the directory unless keepDir. */
  stop(options?: { keepDir?: boolean }): Promise<void>;
}

export class EmbeddedStartError extends Error {
  constructor(
    readonly errorName: string,
    message: string,
  ) {
    super(`${errorName}: ${message}`);
  }
}

/**
 * Starts the app with `env` (no DATABASE_URL is passed unless env has one) and
 * DATA_DIR=<dir>/data. `dir` defaults to a new temp dir; pass one to restart on the same data.
 */
export async function startEmbeddedApp(
  env: Record<string, string>,
  options: { dir?: string; timeoutMs?: number; /** the child's umask before it starts (an operator's careless one) */ umask?: number } = {},
): Promise<EmbeddedApp> {
  const dir = options.dir ?? mkdtempSync(path.join(tmpdir(), "mktows-embedded-app-"));
  const fullEnv = { PORT: "0", HOST: "127.0.0.1", DATA_DIR: path.join(dir, "data"), ...env };
  const childArgs = [JSON.stringify(fullEnv), dir, ...(options.umask !== undefined ? [String(options.umask)] : [])];
  const child: ChildProcess = fork(path.join(__dirname, "embedded-app-child.ts"), childArgs, {
    execArgv: ["-r", "ts-node/register/transpile-only"],
    cwd: path.join(__dirname, "..", ".."),
    stdio: ["ignore", "ignore", "inherit", "ipc"],
  });
  const logs: string[] = [];
  const pending = new Map<number, { resolve: (rows: unknown) => void; reject: (e: Error) => void }>();
  let stopped: (() => void) | undefined;
  let nextId = 1;

  const ready = await new Promise<Extract<ChildMessage, { type: "ready" }>>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error("the embedded app did not start in time")), options.timeoutMs ?? 60000);
    child.on("message", (m: ChildMessage) => {
      if (m.type === "ready") {
        clearTimeout(timer);
        resolve(m);
      } else if (m.type === "failed") {
        clearTimeout(timer);
        reject(new EmbeddedStartError(m.name, m.message));
      } else if (m.type === "log") {
        logs.push(`${m.level}: ${m.line}`);
      } else if (m.type === "result") {
        const p = pending.get(m.id);
        pending.delete(m.id);
        if (!p) return;
        if (m.error) p.reject(Object.assign(new Error(m.error.message), { code: m.error.code }));
        else p.resolve(m.rows);
      } else if (m.type === "stopped") {
        stopped?.();
      }
    });
    child.once("exit", (code) => {
      clearTimeout(timer);
      reject(new Error(`the embedded app exited with code ${code} before it was ready`));
      for (const p of pending.values()) p.reject(new Error("the embedded app exited"));
      stopped?.();
    });
  }).catch(async (error: unknown) => {
    if (child.exitCode === null) child.kill();
    if (!options.dir) rmSync(dir, { recursive: true, force: true });
    throw error;
  });

  return {
    url: ready.url,
    databaseKind: ready.databaseKind,
    secrets: ready.secrets,
    dir,
    logs,
    query(sql, params) {
      return new Promise((resolve, reject) => {
        const id = nextId++;
        pending.set(id, { resolve, reject });
        child.send({ type: "query", id, sql, params } satisfies ParentMessage);
      });
    },
    async stop(stopOptions = {}) {
      if (child.exitCode === null && child.connected) {
        await new Promise<void>((resolve) => {
          const timer = setTimeout(() => {
            child.kill();
            resolve();
          }, 20000);
          stopped = () => {
            clearTimeout(timer);
            resolve();
          };
          child.send({ type: "stop" } satisfies ParentMessage);
        });
      }
      if (child.exitCode === null) await new Promise((resolve) => child.once("exit", resolve));
      if (!stopOptions.keepDir) rmSync(dir, { recursive: true, force: true });
    },
  };
}
