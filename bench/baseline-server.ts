/**
 * The getLead baseline: a minimal express endpoint that runs the same indexed SELECT as the
 * server's getLead by EMAIL (every lead with the address's hash, by id) with plain pg and
 * answers JSON. Run as a child process by bench/run.ts.
 */
import { createHmac } from "node:crypto";
import express from "express";
import { Pool } from "pg";
import { emailKey } from "../src/domain/email";

const SELECT_BY_HASH = `
  SELECT id, email, email_key, email_hash, foreign_sys_person_id, foreign_sys_type, partition_id,
         unsubscribed, unsubscribed_reason, fields, created_at, updated_at
    FROM lead WHERE email_hash = $1 ORDER BY id ASC`;

const pool = new Pool({ connectionString: process.env.DATABASE_URL, max: Number(process.env.DB_POOL_SIZE ?? 16) });
const hashKey = process.env.EMAIL_HASH_KEY ?? "";
const app = express();
app.disable("x-powered-by");
app.get("/healthz", (_req, res) => {
  res.json({ status: "ok" });
});
app.post("/lead", express.json(), async (req, res) => {
  const key = emailKey(typeof req.body?.email === "string" ? req.body.email : null);
  if (!key) {
    res.status(400).json({ error: "email required" });
    return;
  }
  try {
    const { rows } = await pool.query(SELECT_BY_HASH, [createHmac("sha256", hashKey).update(key, "utf8").digest("hex")]);
    if (rows.length === 0) res.status(404).json({ error: "not found" });
    else res.json({ count: rows.length, leads: rows });
  } catch (error) {
    res.status(500).json({ error: String(error) });
  }
});
const server = app.listen(Number(process.env.PORT), "127.0.0.1");
const stop = () => server.close(() => void pool.end().then(() => process.exit(0)));
process.on("SIGTERM", stop);
process.on("SIGINT", stop);
