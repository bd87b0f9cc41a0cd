/**
 * Channels and members on SQL (node:sqlite or PostgreSQL). Membership changes run in one
 * transaction that first increases the channel's epoch — on PostgreSQL that UPDATE also locks the
 * channel row, so concurrent joins on any instance are serialized per channel and each sees the
 * epoch it produced.
 */
import { AlreadyExistsError, NotFoundError, TooLargeError } from '@proof-messenger/errors';
import { isUniqueViolation, type SqlDatabase } from '@proof-messenger/storage';
import type {
  ChannelRecord,
  ChannelStore,
  ChannelUpdate,
  MemberRecord,
} from '../ports/channel-store.ts';

interface ChannelRow {
  readonly channel_id: string;
  readonly owner_id: string;
  readonly policy: number;
  readonly retention_seconds: number;
  readonly max_message_bytes: number;
  readonly max_subscribers: number;
  readonly allowlist: string;
  readonly epoch: number;
  readonly created_at_ms: number;
}

interface MemberRow {
  readonly channel_id: string;
  readonly agent_id: string;
  readonly member_key: Uint8Array;
  readonly member_key_id: string;
  readonly joined_epoch: number;
  readonly joined_at_ms: number;
}

const CHANNEL_COLUMNS =
  'channel_id, owner_id, policy, retention_seconds, max_message_bytes, max_subscribers, allowlist, epoch, created_at_ms';

function toChannel(row: ChannelRow): ChannelRecord {
  return {
    channelId: row.channel_id,
    ownerId: row.owner_id,
    policy: Number(row.policy),
    retentionSeconds: Number(row.retention_seconds),
    maxMessageBytes: Number(row.max_message_bytes),
    maxSubscribers: Number(row.max_subscribers),
    allowlist: JSON.parse(row.allowlist) as string[],
    epoch: Number(row.epoch),
    createdAtMs: Number(row.created_at_ms),
  };
}

function toMember(row: MemberRow): MemberRecord {
  return {
    channelId: row.channel_id,
    agentId: row.agent_id,
    memberKey: row.member_key,
    memberKeyId: row.member_key_id,
    joinedEpoch: Number(row.joined_epoch),
    joinedAtMs: Number(row.joined_at_ms),
  };
}

function missing(channelId: string): NotFoundError {
  return new NotFoundError(`channel ${channelId} does not exist`, { field: 'channel_id' });
}

/** Moves `channelId` to its next epoch; undefined when the channel does not exist. */
async function nextEpoch(tx: SqlDatabase, channelId: string): Promise<number | undefined> {
  const [row] = await tx.query<{ epoch: number }>(
    'UPDATE channels SET epoch = epoch + 1 WHERE channel_id = $1 RETURNING epoch',
    [channelId],
  );
  return row === undefined ? undefined : Number(row.epoch);
}

export class SqlChannelStore implements ChannelStore {
  readonly #db: SqlDatabase;

  constructor(db: SqlDatabase) {
    this.#db = db;
  }

  async create(channel: ChannelRecord): Promise<ChannelRecord> {
    try {
      await this.#db.execute(
        `INSERT INTO channels (${CHANNEL_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`,
        [
          channel.channelId,
          channel.ownerId,
          channel.policy,
          channel.retentionSeconds,
          channel.maxMessageBytes,
          channel.maxSubscribers,
          JSON.stringify(channel.allowlist),
          channel.epoch,
          channel.createdAtMs,
        ],
      );
    } catch (error) {
      if (isUniqueViolation(error)) {
        throw new AlreadyExistsError(`channel ${channel.channelId} already exists`, {
          field: 'channel.channel_id',
        });
      }
      throw error;
    }
    return channel;
  }

  async get(channelId: string): Promise<ChannelRecord | undefined> {
    const [row] = await this.#db.query<ChannelRow>(
      `SELECT ${CHANNEL_COLUMNS} FROM channels WHERE channel_id = $1`,
      [channelId],
    );
    return row === undefined ? undefined : toChannel(row);
  }

  update(
    channelId: string,
    settings: Omit<ChannelRecord, 'channelId' | 'ownerId' | 'epoch' | 'createdAtMs'>,
    mayStay: (agentId: string) => Promise<boolean>,
  ): Promise<ChannelUpdate> {
    return this.#db.transaction(async (tx) => {
      const changed = await tx.execute(
        `UPDATE channels SET policy = $2, retention_seconds = $3, max_message_bytes = $4,
           max_subscribers = $5, allowlist = $6 WHERE channel_id = $1`,
        [
          channelId,
          settings.policy,
          settings.retentionSeconds,
          settings.maxMessageBytes,
          settings.maxSubscribers,
          JSON.stringify(settings.allowlist),
        ],
      );
      if (changed === 0) throw missing(channelId);
      const members = await tx.query<{ agent_id: string }>(
        'SELECT agent_id FROM channel_members WHERE channel_id = $1',
        [channelId],
      );
      const ids = members.map((m) => m.agent_id);
      const stays = await Promise.all(ids.map((agentId) => mayStay(agentId)));
      const removed = ids.filter((_, i) => !stays[i]);
      for (const agentId of removed) {
        await tx.execute('DELETE FROM channel_members WHERE channel_id = $1 AND agent_id = $2', [
          channelId,
          agentId,
        ]);
      }
      if (removed.length > 0) await nextEpoch(tx, channelId);
      const [row] = await tx.query<ChannelRow>(
        `SELECT ${CHANNEL_COLUMNS} FROM channels WHERE channel_id = $1`,
        [channelId],
      );
      if (row === undefined) throw missing(channelId);
      return { channel: toChannel(row), removed };
    });
  }

  delete(channelId: string): Promise<readonly string[]> {
    return this.#db.transaction(async (tx) => {
      const members = await tx.query<{ agent_id: string }>(
        'DELETE FROM channel_members WHERE channel_id = $1 RETURNING agent_id',
        [channelId],
      );
      const deleted = await tx.execute('DELETE FROM channels WHERE channel_id = $1', [channelId]);
      if (deleted === 0) throw missing(channelId);
      return members.map((m) => m.agent_id).sort();
    });
  }

  join(
    member: Omit<MemberRecord, 'joinedEpoch'>,
    maxSubscribers: number,
  ): Promise<{ epoch: number; changed: boolean }> {
    return this.#db.transaction(async (tx) => {
      const [existing] = await tx.query<{ member_key_id: string }>(
        'SELECT member_key_id FROM channel_members WHERE channel_id = $1 AND agent_id = $2',
        [member.channelId, member.agentId],
      );
      if (existing?.member_key_id === member.memberKeyId) {
        const channel = await this.#getIn(tx, member.channelId);
        return { epoch: channel.epoch, changed: false };
      }
      const epoch = await nextEpoch(tx, member.channelId);
      if (epoch === undefined) throw missing(member.channelId);
      if (existing === undefined) {
        const [count] = await tx.query<{ n: number }>(
          'SELECT COUNT(*) AS n FROM channel_members WHERE channel_id = $1',
          [member.channelId],
        );
        if (Number(count?.n ?? 0) >= maxSubscribers) {
          throw new TooLargeError(
            `channel ${member.channelId} has its maximum of ${maxSubscribers} subscribers`,
            { field: 'channel_id' },
          );
        }
      }
      await tx.execute(
        `INSERT INTO channel_members (channel_id, agent_id, member_key, member_key_id, joined_epoch, joined_at_ms)
         VALUES ($1, $2, $3, $4, $5, $6)
         ON CONFLICT (channel_id, agent_id) DO UPDATE SET member_key = $3, member_key_id = $4,
           joined_epoch = $5, joined_at_ms = $6`,
        [
          member.channelId,
          member.agentId,
          member.memberKey,
          member.memberKeyId,
          epoch,
          member.joinedAtMs,
        ],
      );
      return { epoch, changed: true };
    });
  }

  leave(channelId: string, agentId: string): Promise<boolean> {
    return this.#db.transaction(async (tx) => {
      const removed = await tx.execute(
        'DELETE FROM channel_members WHERE channel_id = $1 AND agent_id = $2',
        [channelId, agentId],
      );
      if (removed === 0) return false;
      await nextEpoch(tx, channelId);
      return true;
    });
  }

  async members(channelId: string, afterAgentId: string, limit: number): Promise<MemberRecord[]> {
    const rows = await this.#db.query<MemberRow>(
      `SELECT channel_id, agent_id, member_key, member_key_id, joined_epoch, joined_at_ms
         FROM channel_members WHERE channel_id = $1 AND agent_id > $2
         ORDER BY agent_id LIMIT $3`,
      [channelId, afterAgentId, limit],
    );
    return rows.map(toMember);
  }

  async membersWithKeys(channelId: string, keyIds: readonly string[]): Promise<MemberRecord[]> {
    if (keyIds.length === 0) return [];
    const placeholders = keyIds.map((_, i) => `$${i + 2}`).join(', ');
    const rows = await this.#db.query<MemberRow>(
      `SELECT channel_id, agent_id, member_key, member_key_id, joined_epoch, joined_at_ms
         FROM channel_members WHERE channel_id = $1 AND member_key_id IN (${placeholders})
         ORDER BY agent_id`,
      [channelId, ...keyIds],
    );
    return rows.map(toMember);
  }

  async memberCount(channelId: string): Promise<number> {
    const [row] = await this.#db.query<{ n: number }>(
      'SELECT COUNT(*) AS n FROM channel_members WHERE channel_id = $1',
      [channelId],
    );
    return Number(row?.n ?? 0);
  }

  async #getIn(tx: SqlDatabase, channelId: string): Promise<ChannelRecord> {
    const [row] = await tx.query<ChannelRow>(
      `SELECT ${CHANNEL_COLUMNS} FROM channels WHERE channel_id = $1`,
      [channelId],
    );
    if (row === undefined) throw missing(channelId);
    return toChannel(row);
  }
}
