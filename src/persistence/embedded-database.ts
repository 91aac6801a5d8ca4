/**
 * The embedded default database: PGlite (PostgreSQL compiled to WebAssembly) with a persistent
 * data directory, served on a loopback port by pglite-socket so that the ordinary `pg` driver
 * and TypeORM's postgres driver talk to it like to any PostgreSQL server.
 *
 * PGlite is one backend: every connection shares one session, and while one connection has a
 * transaction open, pglite-socket runs only that connection's messages. Transactions therefore
 * run one after another (real isolation, no parallelism); row locks and advisory locks are
 * no-ops there. Measured: isolation and lost-update checks pass, about 700 short transactions/s
 * (stack notes §4 measured that the other embedded candidates lose or keep rolled-back rows).
 * A lock file keeps a second process from opening the same data directory.
 */
import { chmodSync, closeSync, lstatSync, mkdirSync, openSync, readdirSync, readFileSync, rmSync, writeSync } from "node:fs";
import path from "node:path";

export interface EmbeddedDatabase {
  readonly url: string;
  readonly dataDir: string;
  /** Files and folders under DATA_DIR whose modes were wider than 0600/0700 and were narrowed at start. */
  readonly modesFixed: number;
  stop(): Promise<void>;
}

/**
 * DATA_DIR holds every lead, the generated admin token, the SOAP key and EMAIL_HASH_KEY in
 * plaintext: only the server's own user may read or write it, whatever the umask. PGlite opens
 * its files with mode 0666 and creates WAL segments as it runs, so narrowing the files once is
 * not enough: the process's umask also loses its group and other bits (a server writes nothing
 * else that others should read). Worker threads may not change the umask; they keep theirs.
 */
export function restrictDataDir(dataDir: string): number {
  try {
    process.umask(process.umask() | 0o077);
  } catch {
    // not the main thread
  }
  mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  return narrowModes(dataDir);
}

/** chmod go-rwx, recursively, without following links; returns how many entries changed. */
function narrowModes(target: string): number {
  const stat = lstatSync(target);
  if (stat.isSymbolicLink()) return 0;
  let fixed = 0;
  const wanted = stat.isDirectory() ? 0o700 : 0o600;
  if ((stat.mode & 0o777) !== wanted) {
    chmodSync(target, wanted);
    fixed++;
  }
  if (stat.isDirectory()) for (const name of readdirSync(target)) fixed += narrowModes(path.join(target, name));
  return fixed;
}

export class DataDirInUseError extends Error {}

export async function startEmbeddedDatabase(dataDir: string): Promise<EmbeddedDatabase> {
  const modesFixed = restrictDataDir(dataDir);
  const dir = path.join(dataDir, "pglite");
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const lockFile = path.join(dataDir, "pglite.lock");
  takeLock(lockFile);
  try {
    // Loaded lazily: a server on DATABASE_URL never pays for the WebAssembly module.
    const { PGlite } = await import("@electric-sql/pglite");
    const { PGLiteSocketServer } = await import("@electric-sql/pglite-socket");
    const db = await PGlite.create({ dataDir: dir });
    // PGlite's file system sets modes itself (0666 on what initdb writes): narrow them once it is up.
    narrowModes(dataDir);
    // The app's pool holds at most 4 connections (database.ts). pglite-socket frees the slot of a
    // closed connection only when its close event has run, so a reconnect made right after a
    // disconnect would be refused ("Too many connections") at exactly 4: leave headroom.
    const server = new PGLiteSocketServer({ db, host: "127.0.0.1", port: 0, maxConnections: 8 });
    await server.start();
    const conn = server.getServerConn();
    return {
      url: `postgres://postgres:postgres@${conn}/postgres`,
      dataDir: dir,
      modesFixed,
      async stop() {
        await server.stop();
        await db.close();
        rmSync(lockFile, { force: true });
      },
    };
  } catch (error) {
    rmSync(lockFile, { force: true });
    throw error;
  }
}

function takeLock(lockFile: string): void {
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const fd = openSync(lockFile, "wx", 0o600);
      writeSync(fd, String(process.pid));
      closeSync(fd);
      return;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
      const pid = Number(readFileSync(lockFile, "utf8").trim());
      if (pid && pid !== process.pid && isAlive(pid)) {
        throw new DataDirInUseError(
          `the embedded database in ${path.dirname(lockFile)} is in use by process ${pid}; stop it, use another DATA_DIR, or set DATABASE_URL to share a PostgreSQL server between processes`,
        );
      }
      rmSync(lockFile, { force: true }); // left by a process that died
    }
  }
  throw new DataDirInUseError(`could not lock ${lockFile}`);
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}
