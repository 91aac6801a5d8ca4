/**
 * `npm run secrets`: shows the instance secrets (from the environment, else those generated and
 * kept in the database), so that a first start that failed after generating them, or a lost
 * terminal, loses nothing. `npm run secrets -- rotate admin-token|soap-key` replaces a
 * generated secret; every running process keeps the old one until it is restarted.
 */
import { ConfigError, loadConfig } from "../config";
import { openDatabase } from "../database";
import { createLogger } from "../logger";
import { ROTATABLE, rotateInstanceSecret, rotateLinkKey, type RotatableSecret } from "../persistence/instance-secrets";
import { allSecretLines } from "../secrets-report";

const USAGE = `Usage:
  npm run secrets                         show the instance secrets
  npm run secrets -- rotate admin-token   replace the generated ADMIN_TOKEN
  npm run secrets -- rotate soap-key      replace the generated MKTOWS_ENCRYPTION_KEY
  npm run secrets -- rotate link-key      a new unsubscribe-link key (older links work for UNSUBSCRIBE_LINK_GRACE_DAYS)
The same DATABASE_URL / DATA_DIR as the server. With the embedded database, stop the server first.
`;

export interface SecretsIo {
  readonly env: NodeJS.ProcessEnv;
  readonly cwd: string;
  readonly stdout: { write(text: string): unknown };
  readonly stderr: { write(text: string): unknown };
}

export async function runSecretsCli(argv: readonly string[], io: SecretsIo): Promise<number> {
  const [command, target, ...rest] = argv;
  if (command === "--help" || command === "-h" || command === "help") {
    io.stdout.write(USAGE);
    return 0;
  }
  const rotate = command === "rotate";
  const known = target !== undefined && (Object.hasOwn(ROTATABLE, target) || target === "link-key");
  if ((command !== undefined && !rotate) || rest.length > 0 || (rotate && !known) || (!rotate && target !== undefined)) {
    io.stderr.write(`secrets: unknown arguments: ${argv.join(" ")}\n\n${USAGE}`);
    return 2;
  }
  let config;
  try {
    config = loadConfig(io.env, io.cwd);
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    io.stderr.write(`secrets: configuration error: ${error.message}\n`);
    return 2;
  }
  // Set in the environment or in .env (loadConfig reads both).
  const fromEnv: Record<string, boolean> = {
    MKTOWS_USER_ID: config.mktowsUserId !== undefined,
    MKTOWS_ENCRYPTION_KEY: config.mktowsEncryptionKey !== undefined,
    ADMIN_TOKEN: config.adminToken !== undefined,
    EMAIL_HASH_KEY: config.emailHashKey !== undefined,
  };
  if (rotate && target !== "link-key") {
    const which = ROTATABLE[target as RotatableSecret];
    if (fromEnv[which.env]) {
      io.stderr.write(`secrets: ${which.env} is set in the environment; change it there (the database's copy is not used)\n`);
      return 2;
    }
  }
  let db;
  try {
    db = await openDatabase(config, createLogger("warn", (line) => io.stderr.write(line + "\n")), { poolSize: 1 });
  } catch (error) {
    io.stderr.write(`secrets: cannot open the database: ${error instanceof Error ? error.message : String(error)}\n`);
    return 1;
  }
  try {
    if (target === "link-key") {
      const until = await rotateLinkKey(db.dataSource, config.unsubscribeLinkGraceDays);
      io.stderr.write(`secrets: new unsubscribe-link key (running processes take it within a minute). Links made before keep working until ${until.toISOString()}.\n`);
    } else if (rotate) {
      const which = ROTATABLE[target as RotatableSecret];
      const value = await rotateInstanceSecret(db.dataSource, target as RotatableSecret);
      io.stdout.write(`${which.env}=${value}\n`);
      io.stderr.write(`secrets: ${which.env} replaced. Restart every server process of this database: each keeps the old value until then.\n`);
    } else {
      io.stdout.write(allSecretLines(db.secrets, fromEnv).join("\n") + "\n");
    }
    return 0;
  } finally {
    await db.close();
  }
}

if (require.main === module) {
  runSecretsCli(process.argv.slice(2), { env: process.env, cwd: process.cwd(), stdout: process.stdout, stderr: process.stderr }).then(
    (code) => process.exit(code),
    (error: unknown) => {
      process.stderr.write(`secrets: failed: ${error instanceof Error ? error.message : String(error)}\n`);
      process.exit(1);
    },
  );
}
