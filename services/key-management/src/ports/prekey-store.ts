/**
 * Port: KEM prekeys. Statements are stored as the serialized `SignedStatement` bytes the agent
 * uploaded, so what is handed out is byte-for-byte what the owner signed.
 */

export interface OneTimePrekey {
  readonly keyId: string;
  readonly statement: Uint8Array;
}

export interface PrekeyStore {
  /** Replaces the agent's medium-term signed prekey. */
  putSignedPrekey(
    agentId: string,
    keyId: string,
    statement: Uint8Array,
    atMs: number,
  ): Promise<void>;
  /** The agent's signed prekey statement, or undefined. */
  getSignedPrekey(agentId: string): Promise<Uint8Array | undefined>;
  /** Adds one-time prekeys (a key id already in the pool is ignored); returns the pool size after. */
  addOneTimePrekeys(agentId: string, prekeys: readonly OneTimePrekey[]): Promise<number>;
  /**
   * Removes and returns one one-time prekey, or undefined when none are left. Atomic: each prekey
   * is handed out at most once, across concurrent callers and service instances.
   */
  takeOneTimePrekey(agentId: string): Promise<OneTimePrekey | undefined>;
  /** How many one-time prekeys the agent has left. */
  countOneTimePrekeys(agentId: string): Promise<number>;
  /** Removes every prekey of the agent (on identity revocation). */
  deleteAll(agentId: string): Promise<void>;
}
