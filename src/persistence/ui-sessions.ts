/**
 * Web UI sessions ended by logout (table ui_session_revocation). A session is a signed cookie
 * that any process of the database accepts, so ending one early is a row every process reads:
 * one indexed lookup per UI request. Rows past their session's expiry are deleted at logout.
 */
import type { DataSource } from "typeorm";
import type { UiSessionRevocations } from "../domain/session-ports";
import { rowsOf } from "./repositories/lead.repository";

export class SqlUiSessionRevocations implements UiSessionRevocations {
  constructor(private readonly dataSource: DataSource) {}

  async revoke(nonce: string, expiresAt: Date): Promise<void> {
    await this.dataSource.query(`DELETE FROM ui_session_revocation WHERE expires_at < now()`);
    await this.dataSource.query(`INSERT INTO ui_session_revocation (nonce, expires_at) VALUES ($1, $2) ON CONFLICT (nonce) DO NOTHING`, [nonce, expiresAt]);
  }

  async isRevoked(nonce: string): Promise<boolean> {
    return rowsOf(await this.dataSource.query(`SELECT 1 FROM ui_session_revocation WHERE nonce = $1`, [nonce])).length > 0;
  }
}
