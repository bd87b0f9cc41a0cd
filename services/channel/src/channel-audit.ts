/**
 * The channel service's audit entries, written through the governance AuditSink (batched, never
 * awaited). Entries name channels as `channel:<id>` and carry ids and envelope digests only:
 * the channel service cannot read publications, and the log must not either. Denials and
 * rate-limit refusals are recorded by the authorizer and the limiter themselves.
 *
 * | action | actor | details |
 * | --- | --- | --- |
 * | channel.created | the owner | policy (schema name), allowlist (size) |
 * | channel.updated | owner or `operator:<name>` | changed (settings, comma-separated), policy, allowlist, epoch, removed |
 * | channel.unsubscribed | the member; for a member an update removed, the updater (with a reason) | member, epoch (removals) |
 * | channel.subscribed | the member | epoch |
 * | channel.published | the publisher | epoch, subscriberCount; messageIds and messageHashes (SHA-256 of the envelope's signed bytes, as `message.sent` and delivery receipts) |
 * | channel.deleted | owner or `operator:<name>` | members |
 */
import { AUDIT_ACTIONS, type AuditSink } from '@proof-messenger/audit-log';
import { type Caller, callerName } from '@proof-messenger/auth';
import { channelPolicyName } from './policy-channel-policy.ts';
import type { ChannelRecord } from './ports/channel-store.ts';

/** The settings an update may change, as `details.changed` names them. */
const SETTINGS = [
  'policy',
  'retentionSeconds',
  'maxMessageBytes',
  'maxSubscribers',
  'allowlist',
] as const;

/** The settings that differ between `before` and `after`, comma-separated ('' for none). */
export function changedSettings(before: ChannelRecord, after: ChannelRecord): string {
  return SETTINGS.filter((name) =>
    name === 'allowlist'
      ? before.allowlist.join('\n') !== after.allowlist.join('\n')
      : before[name] !== after[name],
  ).join(',');
}

const target = (channelId: string) => `channel:${channelId}`;

/** Records what happens to channels. */
export class ChannelAudit {
  readonly #sink: AuditSink;

  constructor(sink: AuditSink) {
    this.#sink = sink;
  }

  created(caller: Caller, channel: ChannelRecord): void {
    this.#sink.record({
      actor: callerName(caller),
      action: AUDIT_ACTIONS.channelCreated,
      target: target(channel.channelId),
      outcome: 'success',
      details: {
        policy: channelPolicyName(channel.policy),
        allowlist: String(channel.allowlist.length),
      },
    });
  }

  /** An update, and each member it removed (who then can no longer read). */
  updated(
    caller: Caller,
    before: ChannelRecord,
    channel: ChannelRecord,
    removed: readonly string[],
  ): void {
    const actor = callerName(caller);
    this.#sink.record({
      actor,
      action: AUDIT_ACTIONS.channelUpdated,
      target: target(channel.channelId),
      outcome: 'success',
      details: {
        changed: changedSettings(before, channel),
        policy: channelPolicyName(channel.policy),
        allowlist: String(channel.allowlist.length),
        epoch: String(channel.epoch),
        removed: String(removed.length),
      },
    });
    for (const agentId of removed) {
      this.#sink.record({
        actor,
        action: AUDIT_ACTIONS.channelUnsubscribed,
        target: target(channel.channelId),
        outcome: 'success',
        reason: 'no longer admitted by the updated settings',
        details: { member: agentId, epoch: String(channel.epoch) },
      });
    }
  }

  deleted(caller: Caller, channelId: string, members: number): void {
    this.#sink.record({
      actor: callerName(caller),
      action: AUDIT_ACTIONS.channelDeleted,
      target: target(channelId),
      outcome: 'success',
      details: { members: String(members) },
    });
  }

  subscribed(agentId: string, channelId: string, epoch: number): void {
    this.#sink.record({
      actor: agentId,
      action: AUDIT_ACTIONS.channelSubscribed,
      target: target(channelId),
      outcome: 'success',
      details: { epoch: String(epoch) },
    });
  }

  unsubscribed(agentId: string, channelId: string): void {
    this.#sink.record({
      actor: agentId,
      action: AUDIT_ACTIONS.channelUnsubscribed,
      target: target(channelId),
      outcome: 'success',
    });
  }

  published(
    publisherId: string,
    channel: ChannelRecord,
    messageId: string,
    digest: Uint8Array,
    subscriberCount: number,
  ): void {
    this.#sink.record({
      actor: publisherId,
      action: AUDIT_ACTIONS.channelPublished,
      target: target(channel.channelId),
      outcome: 'success',
      messageIds: [messageId],
      messageHashes: [digest],
      details: { epoch: String(channel.epoch), subscriberCount: String(subscriberCount) },
    });
  }
}
