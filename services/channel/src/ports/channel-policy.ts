/**
 * Port: may this caller subscribe to or publish on this channel? The default implementation
 * (default-channel-policy.ts) enforces the four channel policies; the authorization issue (#7)
 * puts the policy engine behind this same port. Fail closed: a policy that throws denies.
 */
import type { Caller } from '@proof-messenger/auth';
import type { ChannelRecord } from './channel-store.ts';

export type ChannelAction = 'subscribe' | 'publish';

export interface ChannelPolicy {
  /**
   * Resolves when allowed.
   * @throws PolicyDeniedError saying what is not allowed
   */
  authorize(action: ChannelAction, caller: Caller, channel: ChannelRecord): Promise<void>;
  /** Whether `agentId` may stay subscribed under `channel`'s settings (after an update). */
  mayStay(agentId: string, channel: ChannelRecord): boolean;
}
