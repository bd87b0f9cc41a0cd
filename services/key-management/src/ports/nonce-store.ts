/**
 * Port: single-use values with a lifetime (authentication nonces). Embedded: node:sqlite;
 * distributed: Redis `SET NX PX`, so a nonce is refused on every instance.
 */
export interface NonceStore {
  /** Records `nonce`; true when it was not seen within its lifetime, false for a replay. */
  remember(nonce: string, ttlMs: number, nowMs: number): Promise<boolean>;
}
