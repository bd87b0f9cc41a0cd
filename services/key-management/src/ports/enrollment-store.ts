/**
 * Port: operator-issued enrollment credentials. Only a SHA-256 hash of each credential is stored,
 * so a database dump does not hand out registrations.
 */

/** Why a credential could not be used. */
export type EnrollmentOutcome = 'ok' | 'unknown' | 'expired' | 'used' | 'wrong-agent';

export interface EnrollmentStore {
  /** Stores a new credential hash, bound to `agentId` or to any id when null. */
  issue(
    credentialHash: Uint8Array,
    agentId: string | null,
    expiresAtMs: number,
    issuedBy: string,
  ): Promise<void>;
  /**
   * Atomically uses a credential for `agentId`: at most one caller ever gets 'ok' for a credential,
   * across concurrent calls and service instances.
   */
  consume(credentialHash: Uint8Array, agentId: string, nowMs: number): Promise<EnrollmentOutcome>;
}
