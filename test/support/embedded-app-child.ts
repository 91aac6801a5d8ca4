/**
 * Child process of embedded-app.ts: starts the application with startApplication() on the
 * embedded default database (no DATABASE_URL), reports its URL, and answers SQL queries over
 * IPC until told to stop. It exists because PGlite loads parts of itself with a dynamic
 * import(), which jest's module sandbox refuses (ERR_VM_DYNAMIC_IMPORT_CALLBACK_MISSING_FLAG),
 * so the embedded database cannot start inside a jest test file.
 *
 * argv[2]: the environment for loadConfig as JSON; argv[3]: the working directory for loadConfig;
 * argv[4], optional: the umask to start with.
 */
import { startApplication, type Application } from "../../src/app";
import { loadConfig } from "../../src/config";
import type { Logger } from "../../src/logger";
import type { ChildMessage, ParentMessage } from "./embedded-app";

function send(message: ChildMessage): void {
  process.send?.(message);
}

const logger: Logger = {
  log(level, message, fields) {
    if (level === "error" || level === "warn") send({ type: "log", level, line: `${message} ${JSON.stringify(fields ?? {})}` });
  },
};

async function main(): Promise<void> {
  const env = JSON.parse(process.argv[2] ?? "{}") as Record<string, string>;
  if (process.argv[4] !== undefined) process.umask(Number(process.argv[4]));
  let app: Application;
  try {
    app = await startApplication(loadConfig(env, process.argv[3] ?? process.cwd()), logger);
  } catch (error) {
    const e = error as Error;
    send({ type: "failed", name: e?.constructor?.name ?? "Error", message: String(e?.message ?? e) });
    process.exitCode = 1;
    process.disconnect?.();
    return;
  }
  send({
    type: "ready",
    url: app.url,
    databaseKind: app.databaseKind,
    secrets: { emailHashKey: app.secrets.emailHashKey, mktowsUserId: app.secrets.mktowsUserId, mktowsEncryptionKey: app.secrets.mktowsEncryptionKey, adminToken: app.secrets.adminToken },
  });
  let stopping: Promise<void> | undefined;
  const stop = () => (stopping ??= app.stop());
  // The test process went away (killed, crashed): do not outlive it holding the data directory.
  process.on("disconnect", () => {
    void stop().finally(() => process.exit(0));
  });
  process.on("message", (raw: ParentMessage) => {
    void (async () => {
      if (raw.type === "query") {
        try {
          const rows: unknown = await app.dataSource.query(raw.sql, raw.params ?? []);
          send({ type: "result", id: raw.id, rows });
        } catch (error) {
          const e = error as { message?: string; code?: string; driverError?: { code?: string } };
          send({ type: "result", id: raw.id, error: { message: String(e?.message), code: e?.driverError?.code ?? e?.code } });
        }
      } else if (raw.type === "stop") {
        await stop();
        send({ type: "stopped" });
        process.disconnect?.();
      }
    })();
  });
}

void main();
