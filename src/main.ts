/** The server process: `npm start`. */
import { startApplication } from "./app";
import { ConfigError, loadConfig } from "./config";
import { createLogger } from "./logger";

async function main(): Promise<void> {
  let config;
  try {
    config = loadConfig();
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`configuration error: ${error.message}\n`);
      process.exit(2);
    }
    throw error;
  }
  const logger = createLogger(config.logLevel);
  const app = await startApplication(config, logger);
  const publicBase = config.publicUrl ?? `${new URL(app.url).protocol}//localhost:${new URL(app.url).port}`;
  logger.log("info", "mktows started", {
    url: publicBase,
    wsdl: `${publicBase}/soap/mktows/2_2?WSDL`,
    database: app.databaseKind === "embedded" ? `embedded (PGlite) in ${config.dataDir}` : "postgresql (DATABASE_URL)",
  });
  if (app.secrets.generated.length > 0) {
    // Printed once, on the start that generated them; afterwards they live only in the database.
    const lines = [
      "Generated instance secrets (shown once; kept in the database — back the database up):",
      ...(app.secrets.generated.includes("mktows_user_id") ? [`  MKTOWS_USER_ID=${app.secrets.mktowsUserId}`, `  MKTOWS_ENCRYPTION_KEY=${app.secrets.mktowsEncryptionKey}`] : []),
      ...(app.secrets.generated.includes("admin_token") ? [`  ADMIN_TOKEN=${app.secrets.adminToken}`] : []),
      ...(app.secrets.generated.includes("email_hash_key") ? ["  EMAIL_HASH_KEY: generated and stored in the database (instance_secret table)"] : []),
    ];
    process.stderr.write(lines.join("\n") + "\n");
  }
  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.log("info", "stopping", { signal });
    const timer = setTimeout(() => process.exit(1), config.shutdownDrainMs + 10000);
    timer.unref();
    await app.stop();
    process.exit(0);
  };
  process.on("SIGTERM", () => void stop("SIGTERM"));
  process.on("SIGINT", () => void stop("SIGINT"));
}

main().catch((error: unknown) => {
  process.stderr.write(`mktows failed to start: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
