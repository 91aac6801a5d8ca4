/** The server process: `npm start`. */
import { startApplication } from "./app";
import { ConfigError, loadConfig } from "./config";
import { createLogger } from "./logger";
import { generatedSecretLines } from "./secrets-report";

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
  // Printed once, on the start that generated them, even if this start then fails (e.g. the port
  // is taken); `npm run secrets` shows them again.
  const app = await startApplication(config, logger, {
    onSecrets: (secrets) => {
      const lines = generatedSecretLines(secrets);
      if (lines.length > 0) process.stderr.write(lines.join("\n") + "\n");
    },
  });
  const publicBase = config.publicUrl ?? `${new URL(app.url).protocol}//localhost:${new URL(app.url).port}`;
  logger.log("info", "mktows started", {
    url: publicBase,
    wsdl: `${publicBase}/soap/mktows/2_2?WSDL`,
    soap: `${publicBase}/soap/mktows/<version> (2_0 … 3_1)`,
    ui: `${publicBase}/ui/`,
    admin: `${publicBase}/admin/api`,
    metrics: `${publicBase}/metrics`,
    health: `${publicBase}/healthz`,
    database: app.databaseKind === "embedded" ? `embedded (PGlite) in ${config.dataDir}` : "postgresql (DATABASE_URL)",
  });
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
