/** Web UI sessions ended before their time (logout), as every process of a database sees them. */
export interface UiSessionRevocations {
  revoke(nonce: string, expiresAt: Date): Promise<void>;
  isRevoked(nonce: string): Promise<boolean>;
}
