/**
 * Port: channels and their members. One SQL implementation runs on node:sqlite (embedded) and
 * PostgreSQL (distributed). Every membership change — a join, a leave, a removal by an allowlist
 * update — increases the channel's epoch in the same transaction, so publishers encrypting for an
 * epoch encrypt for exactly that epoch's members.
 */

/** A channel's settings as stored. */
export interface ChannelRecord {
  readonly channelId: string;
  readonly ownerId: string;
  /** proofmessenger.v1.ChannelPolicy */
  readonly policy: number;
  readonly retentionSeconds: number;
  readonly maxMessageBytes: number;
  readonly maxSubscribers: number;
  readonly allowlist: readonly string[];
  readonly epoch: number;
  readonly createdAtMs: number;
}

/** One member, with the member key it subscribed with. */
export interface MemberRecord {
  readonly channelId: string;
  readonly agentId: string;
  /** The serialized SignedStatement of its ChannelMemberKey. */
  readonly memberKey: Uint8Array;
  readonly memberKeyId: string;
  readonly joinedEpoch: number;
  readonly joinedAtMs: number;
}

/** What an allowlist or policy update did to the membership. */
export interface ChannelUpdate {
  readonly channel: ChannelRecord;
  /** Members removed because the new settings no longer let them subscribe. */
  readonly removed: readonly string[];
}

export interface ChannelStore {
  /** @throws AlreadyExistsError when the id is taken */
  create(channel: ChannelRecord): Promise<ChannelRecord>;
  get(channelId: string): Promise<ChannelRecord | undefined>;
  /**
   * Replaces the settings (not owner, epoch, creation time) and removes the members `mayStay`
   * rejects (asked for every member at once, inside the update's transaction so nobody joins
   * unchecked in between), increasing the epoch when anyone was removed.
   * @throws NotFoundError when the channel does not exist
   */
  update(
    channelId: string,
    settings: Omit<ChannelRecord, 'channelId' | 'ownerId' | 'epoch' | 'createdAtMs'>,
    mayStay: (agentId: string) => Promise<boolean>,
  ): Promise<ChannelUpdate>;
  /** Deletes the channel and its members; returns the members it had. */
  delete(channelId: string): Promise<readonly string[]>;
  /**
   * Adds or re-keys a member and moves to a new epoch; a member re-subscribing with the same key
   * changes nothing. Returns the epoch the membership starts at.
   * @throws NotFoundError when the channel is gone; TooLargeError when it is full
   */
  join(
    member: Omit<MemberRecord, 'joinedEpoch'>,
    maxSubscribers: number,
  ): Promise<{ epoch: number; changed: boolean }>;
  /** Removes a member (new epoch); false when it was not one. */
  leave(channelId: string, agentId: string): Promise<boolean>;
  /** Members ordered by agent id, after `afterAgentId` ('' from the start). */
  members(channelId: string, afterAgentId: string, limit: number): Promise<MemberRecord[]>;
  /** The members whose member key is one of `keyIds` (at most 1,024 ids). */
  membersWithKeys(channelId: string, keyIds: readonly string[]): Promise<MemberRecord[]>;
  memberCount(channelId: string): Promise<number>;
}
