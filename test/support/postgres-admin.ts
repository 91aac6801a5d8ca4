/**
 * PostgreSQL for the reliability tests: a scratch database of its own on the TEST_DATABASE_URL
 * server (created and dropped by the test), or a private cluster the test starts and stops
 * itself (initdb/pg_ctl of the installed PostgreSQL, run as `postgres` when the tests run as
 * root, as .ci/run does).
 */
import { execFile, execFileSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { chownSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import { Client } from "pg";

const run = promisify(execFile);

/** A database of its own on the TEST_DATABASE_URL server. */
export interface ScratchDatabase {
  readonly name: string;
  readonly url: string;
  /** A connected client on the scratch database (closed by drop()). */
  connect(): Promise<Client>;
  drop(): Promise<void>;
}

export async function createScratchDatabase(serverUrl: string, prefix: string): Promise<ScratchDatabase> {
  const name = `${prefix}_${randomBytes(5).toString("hex")}`;
  const admin = new Client({ connectionString: serverUrl });
  await admin.connect();
  try {
    await admin.query(`CREATE DATABASE ${name}`);
  } finally {
    await admin.end();
  }
  const url = new URL(serverUrl);
  url.pathname = `/${name}`;
  const clients: Client[] = [];
  return {
    name,
    url: url.toString(),
    async connect() {
      const c = new Client({ connectionString: url.toString() });
      c.on("error", () => undefined);
      await c.connect();
      clients.push(c);
      return c;
    },
    async drop() {
      await Promise.all(clients.map((c) => c.end().catch(() => undefined)));
      const a = new Client({ connectionString: serverUrl });
      await a.connect();
      try {
        await a.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      } finally {
        await a.end();
      }
    },
  };
}

/** The bin directory of the newest installed PostgreSQL with initdb and pg_ctl (PG_BIN wins). */
export function findPostgresBin(): string | undefined {
  const candidates: string[] = [];
  if (process.env.PG_BIN) candidates.push(process.env.PG_BIN);
  const root = "/usr/lib/postgresql";
  if (existsSync(root)) {
    const versions = readdirSync(root).sort((a, b) => Number(b) - Number(a) || b.localeCompare(a));
    for (const v of versions) candidates.push(path.join(root, v, "bin"));
  }
  return candidates.find((dir) => existsSync(path.join(dir, "initdb")) && existsSync(path.join(dir, "pg_ctl")));
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once("error", reject);
    s.listen(0, "127.0.0.1", () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

/** A PostgreSQL cluster in a temp dir on a free port, owned by this test. */
export interface PrivateCluster {
  readonly port: number;
  /** postgres://postgres@127.0.0.1:<port>/postgres */
  readonly url: string;
  start(): Promise<void>;
  /** `pg_ctl stop -m fast`: sessions are terminated, new connections refused. */
  stop(): Promise<void>;
  /**
   * Freezes the cluster (SIGSTOP to the postmaster and its children): the port still accepts TCP
   * connections, but nothing answers, as with a hung server or a network partition.
   */
  freeze(): Promise<void>;
  /** Undoes freeze() (SIGCONT). */
  thaw(): Promise<void>;
  /** Stops the cluster (immediate) and removes its directory. */
  destroy(): Promise<void>;
}

const asRoot = typeof process.getuid === "function" && process.getuid() === 0;

/** Runs a PostgreSQL binary as `postgres` (initdb refuses root), or as ourselves when we are not root. */
async function pg(bin: string, tool: string, args: string[]): Promise<string> {
  const cmd = asRoot ? "runuser" : path.join(bin, tool);
  const argv = asRoot ? ["-u", "postgres", "--", path.join(bin, tool), ...args] : args;
  const { stdout } = await run(cmd, argv, { timeout: 60000 });
  return stdout;
}

export async function startPrivateCluster(bin: string): Promise<PrivateCluster> {
  const dir = mkdtempSync(path.join(tmpdir(), "mktows-pg-"));
  if (asRoot) chownSync(dir, uidOf("postgres"), gidOf("postgres"));
  const data = path.join(dir, "data");
  const port = await freePort();
  await pg(bin, "initdb", ["-D", data, "-U", "postgres", "-A", "trust", "-E", "UTF8", "--no-sync"]);
  const start = () =>
    pg(bin, "pg_ctl", [
      "-D",
      data,
      "-w",
      "-t",
      "60",
      "-l",
      path.join(dir, "log"),
      "-o",
      `-p ${port} -c listen_addresses=127.0.0.1 -k ${dir} -c fsync=off -c synchronous_commit=off -c max_connections=100`,
      "start",
    ]).then(() => undefined);
  await start();
  let frozen: number[] = [];
  const processes = async (): Promise<number[]> => {
    const postmaster = Number(readFileSync(path.join(data, "postmaster.pid"), "utf8").split("\n")[0]);
    const { stdout } = await run("ps", ["-o", "pid=", "--ppid", String(postmaster)]);
    return [postmaster, ...stdout.split(/\s+/).filter(Boolean).map(Number)];
  };
  return {
    port,
    url: `postgres://postgres@127.0.0.1:${port}/postgres`,
    start,
    stop: () => pg(bin, "pg_ctl", ["-D", data, "-w", "-t", "60", "-m", "fast", "stop"]).then(() => undefined),
    async freeze() {
      frozen = await processes();
      for (const pid of frozen) process.kill(pid, "SIGSTOP");
    },
    async thaw() {
      for (const pid of frozen) {
        try {
          process.kill(pid, "SIGCONT");
        } catch {
          // gone
        }
      }
      frozen = [];
    },
    async destroy() {
      for (const pid of frozen) {
        try {
          process.kill(pid, "SIGCONT");
        } catch {
          // gone
        }
      }
      await pg(bin, "pg_ctl", ["-D", data, "-w", "-m", "immediate", "stop"]).catch(() => undefined);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

function idsOf(user: string): [number, number] {
  const line = execFileSync("getent", ["passwd", user], { encoding: "utf8" }).trim();
  const parts = line.split(":");
  return [Number(parts[2]), Number(parts[3])];
}
const uidOf = (user: string) => idsOf(user)[0];
const gidOf = (user: string) => idsOf(user)[1];
