/**
 * For the TypeORM CLI (`npm run migration:run`): the same entities and migrations as the app,
 * on DATABASE_URL. The app itself builds its DataSource in src/main.ts.
 */
import { loadConfig } from "./src/config";
import { createDataSource } from "./src/persistence/data-source";

const config = loadConfig();
if (!config.databaseUrl) throw new Error("set DATABASE_URL to run the TypeORM CLI (the embedded database migrates at start)");

export default createDataSource({ url: config.databaseUrl, poolSize: 2, statementTimeoutMs: 0 });
