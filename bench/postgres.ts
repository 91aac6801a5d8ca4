/**
 * A private PostgreSQL for the benchmark when DATABASE_URL is not set: initdb in a temporary
 * directory, started on a free local port (as the postgres user when run as root, like .ci/run),
 * stopped and removed afterwards.
 */
import { execFileSync } from "node:child_process";
import { chownSync, mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { freePort } from "./net";

export interface Postgres {
  readonly url: string;
  readonly description: string;
  stop(): void;
}

/** Settings of the private server: durability off (this measures CPU, not the disk). */
export const privateSettings = {
  fsync: "off",
  synchronous_commit: "off",
  full_page_writes: "off",
  shared_buffers: "256MB",
  max_connections: "100",
};

/** With --fsync: what a production server does (durable commits), to measure the disk's share. */
export const durableSettings = { ...privateSettings, fsync: "on", synchronous_commit: "on", full_page_writes: "on" };

export async function startPrivatePostgres(log: (m: string) => void, options: { durable?: boolean } = {}): Promise<Postgres> {
  const settings = options.durable ? durableSettings : privateSettings;
  const root = "/usr/lib/postgresql";
  let versions: string[] = [];
  try {
    versions = readdirSync(root).filter((v) => /^\d+$/.test(v)).sort((a, b) => Number(a) - Number(b));
  } catch {
    // none installed
  }
  if (versions.length === 0) throw new Error("no DATABASE_URL and no PostgreSQL under /usr/lib/postgresql (apt-get install postgresql)");
  const bin = path.join(root, versions[versions.length - 1], "bin");
  const dir = mkdtempSync(path.join(tmpdir(), "mktows-bench-pg-"));
  const asRoot = process.getuid?.() === 0;
  const uid = asRoot ? Number(execFileSync("id", ["-u", "postgres"]).toString().trim()) : undefined;
  if (uid !== undefined) chownSync(dir, uid, uid);
  const run = (cmd: string, args: string[]) =>
    execFileSync(asRoot ? "runuser" : path.join(bin, cmd), asRoot ? ["-u", "postgres", "--", path.join(bin, cmd), ...args] : args, { stdio: ["ignore", "pipe", "pipe"] });
  const data = path.join(dir, "data");
  const port = await freePort();
  let started = false;
  const stop = () => {
    if (started) {
      try {
        run("pg_ctl", ["-D", data, "-m", "fast", "stop"]);
      } catch {
        // already gone
      }
      started = false;
    }
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    log(`starting a private PostgreSQL ${versions[versions.length - 1]} on 127.0.0.1:${port} in ${dir}`);
    run("initdb", ["-D", data, "-U", "postgres", "-A", "trust", "-E", "UTF8", "--no-sync"]);
    const opts = [`-p ${port}`, "-c listen_addresses=127.0.0.1", `-k ${dir}`, ...Object.entries(settings).map(([k, v]) => `-c ${k}=${v}`)].join(" ");
    run("pg_ctl", ["-D", data, "-w", "-l", path.join(dir, "log"), "-o", opts, "start"]);
    started = true;
    run("createdb", ["-h", "127.0.0.1", "-p", String(port), "-U", "postgres", "mktows_bench"]);
  } catch (error) {
    stop();
    const e = error as { stderr?: Buffer };
    throw new Error(`could not start a private PostgreSQL: ${e.stderr?.toString() || String(error)}`);
  }
  return {
    url: `postgres://postgres@127.0.0.1:${port}/mktows_bench`,
    description: `private PostgreSQL ${versions[versions.length - 1]} (${Object.entries(settings).map(([k, v]) => `${k}=${v}`).join(", ")})`,
    stop,
  };
}
