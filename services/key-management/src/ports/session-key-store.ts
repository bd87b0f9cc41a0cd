/**
 * Port: session keys between two agents (the ratchet of the design) and the rotation schedule.
 * `rotate` installs a new current key and moves the previous one into its grace period;
 * `claimDueRotations` is how several scheduler instances share the work without doing any session
 * twice.
 */

/** Rotation schedule numbers, as `proofmessenger.v1.RotationSchedule`. */
export type ScheduleNumber = 1 | 2 | 3 | 4 | 5;

export interface SessionKeyRecord {
  readonly ownerId: string;
  readonly peerId: string;
  readonly keyId: string;
  /** The serialized signed `SessionKey` statement. */
  readonly statement: Uint8Array;
  readonly schedule: ScheduleNumber;
  readonly createdAtMs: number;
  readonly current: boolean;
  /** When a superseded key stops being accepted; null while current. */
  readonly graceEndsAtMs: number | null;
}

/** A session whose rotation came due, claimed by one scheduler instance. */
export interface DueRotation {
  readonly ownerId: string;
  readonly peerId: string;
  readonly keyId: string;
  readonly schedule: ScheduleNumber;
  readonly dueAtMs: number;
}

/** A notice for an agent: rotate this session's key. */
export interface RotationNotice {
  readonly noticeId: string;
  readonly ownerId: string;
  readonly peerId: string;
  readonly keyId: string;
  readonly dueAtMs: number;
  readonly createdAtMs: number;
}

export interface RotateSessionInput {
  readonly ownerId: string;
  readonly peerId: string;
  readonly keyId: string;
  readonly statement: Uint8Array;
  readonly schedule: ScheduleNumber;
  readonly nowMs: number;
  /** How long the previous key stays accepted; 0 ends it at once (emergency). */
  readonly graceMs: number;
  /** When the scheduler should next ask for a rotation; null for on-demand sessions. */
  readonly nextRotationAtMs: number | null;
}

export interface SessionKeyStore {
  /**
   * Makes `keyId` the current key of (owner, peer); the previous current key (if any) gets
   * graceEndsAtMs = nowMs + graceMs. Returns that grace end, or null when there was no previous key.
   * Also clears pending rotation notices of the session.
   * @throws AlreadyExistsError when keyId is already a key of this session
   */
  rotate(input: RotateSessionInput): Promise<{ previousGraceEndsAtMs: number | null }>;
  /** The current key first, then keys whose grace has not ended at nowMs. */
  list(ownerId: string, peerId: string, nowMs: number): Promise<SessionKeyRecord[]>;
  /**
   * Claims up to `limit` sessions whose next rotation is due at nowMs, records a RotationNotice for
   * each, and pushes the session's next rotation time out by `retryMs` (so an agent that ignores
   * the notice is reminded, but no two instances claim the same session for the same due time).
   * Exactly once across concurrent callers and instances.
   */
  claimDueRotations(nowMs: number, limit: number, retryMs: number): Promise<DueRotation[]>;
  /** Pending notices for an owner, oldest first. */
  listNotices(ownerId: string): Promise<RotationNotice[]>;
  /** Deletes superseded keys whose grace ended at or before nowMs; returns how many. */
  expireGraceKeys(nowMs: number): Promise<number>;
}
