import { rmSync } from "node:fs";
import path from "node:path";

export default async function globalTeardown(): Promise<void> {
  const db = globalThis.__mktowsEmbedded;
  if (db) {
    await db.stop();
    rmSync(path.dirname(db.dataDir), { recursive: true, force: true });
  }
}
