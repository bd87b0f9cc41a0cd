/**
 * Port: may this caller act on this channel? The platform's implementation
 * (policy-channel-policy.ts) asks the policy engine, so the four channel policies and whatever an
 * owner or operator writes for `authz_required` channels are decided by the active Cedar policy
 * (packages/policy/policies/default.cedar, docs/policies.md). Fail closed: a policy that throws
 * denies.
 */
import type { Caller } from '@proof-messenger/auth';
import type { ChannelRecord } from './channel-store.ts';

/** Agent actions on a channel's messages. */
export type ChannelAction = 'subscribe' | 'publish';

/** Management actions; for `create` the channel is the one about to exist, owned by the caller. */
export type ChannelManagement = 'create' | 'update' | 'delete';

export interface ChannelPolicy {
  /**
   * Resolves when `caller` may subscribe to or publish on `channel`.
   * @throws PolicyDeniedError saying what is not allowed and what decided
   */
  authorize(
    action: ChannelAction,
    caller: Caller,
    channel: ChannelRecord,
    /** Facts about the action policies may test, e.g. Publish's sizeBytes, priority, contentType. */
    context?: Readonly<Record<string, string | number | boolean>>,
  ): Promise<void>;
  /**
   * Resolves when `caller` may create, update or delete `channel`.
   * @throws PolicyDeniedError saying what is not allowed and what decided
   */
  authorizeManagement(
    action: ChannelManagement,
    caller: Caller,
    channel: ChannelRecord,
  ): Promise<void>;
  /** Whether `agentId` may stay subscribed under `channel`'s (new) settings, after an update. */
  mayStay(agentId: string, channel: ChannelRecord): Promise<boolean>;
}
