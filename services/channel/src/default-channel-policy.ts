/**
 * The four channel policies, until the policy engine (#7) takes the decisions:
 *
 * | policy | subscribe | publish |
 * | --- | --- | --- |
 * | Open | any registered agent | any registered agent |
 * | Private | the owner and agents on the allowlist | the owner only |
 * | Allowlist | the owner and agents on the allowlist | the owner and agents on the allowlist |
 * | AuthzRequired | decided by the authorization policy: without an engine, the owner only (fail closed) | the same |
 *
 * Operators manage channels but never subscribe or publish: those are agent actions.
 */
import type { Caller } from '@proof-messenger/auth';
import { PolicyDeniedError } from '@proof-messenger/errors';
import { ChannelPolicy as Policy } from '@proof-messenger/proto';
import type { ChannelAction, ChannelPolicy } from './ports/channel-policy.ts';
import type { ChannelRecord } from './ports/channel-store.ts';

function listed(agentId: string, channel: ChannelRecord): boolean {
  return agentId === channel.ownerId || channel.allowlist.includes(agentId);
}

/** Whether `agentId` may do `action` on `channel` under its policy alone. */
function allowed(action: ChannelAction, agentId: string, channel: ChannelRecord): boolean {
  switch (channel.policy) {
    case Policy.OPEN:
      return true;
    case Policy.PRIVATE:
      return action === 'subscribe' ? listed(agentId, channel) : agentId === channel.ownerId;
    case Policy.ALLOWLIST:
      return listed(agentId, channel);
    default:
      // AUTHZ_REQUIRED (and anything unknown): only the owner until a policy engine decides.
      return agentId === channel.ownerId;
  }
}

const POLICY_NAMES: Record<number, string> = {
  [Policy.OPEN]: 'open',
  [Policy.PRIVATE]: 'private',
  [Policy.ALLOWLIST]: 'allowlist',
  [Policy.AUTHZ_REQUIRED]: 'authz-required',
};

export class DefaultChannelPolicy implements ChannelPolicy {
  async authorize(action: ChannelAction, caller: Caller, channel: ChannelRecord): Promise<void> {
    if (caller.kind !== 'agent') {
      throw new PolicyDeniedError(`only agents may ${action}; operators manage channels`);
    }
    if (!allowed(action, caller.agentId, channel)) {
      throw new PolicyDeniedError(
        `${caller.agentId} may not ${action} on ${POLICY_NAMES[channel.policy] ?? 'this'} channel ${channel.channelId}`,
        { field: 'channel_id' },
      );
    }
  }

  mayStay(agentId: string, channel: ChannelRecord): boolean {
    return allowed('subscribe', agentId, channel);
  }
}
