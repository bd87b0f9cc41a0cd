/**
 * The channel policy of the platform: every decision is the policy engine's. Subscribe and
 * Publish ask with principal `Agent::"<caller>"`; CreateChannel, UpdateChannel and DeleteChannel
 * with the caller's principal (`principalOf`: agent or operator). The resource is
 * `Channel::"<id>"` with the stored settings as its attributes (`owner`, `policy` by its schema
 * name, `allowlist`); for CreateChannel it is the channel about to be created, owned by the
 * caller.
 *
 * Under the shipped default policy (packages/policy/policies/default.cedar) this is exactly the
 * table of docs/channels.md; an `authz_required` channel admits its owner only until a written
 * policy permits more. A denial is audited by the authorizer (`policy.denied`).
 *
 * Operators never subscribe or publish (the schema admits only agents as those principals), so
 * an operator is refused here before the engine is asked.
 */
import type { Caller } from '@proof-messenger/auth';
import { PolicyDeniedError } from '@proof-messenger/errors';
import { principalOf } from '@proof-messenger/governance';
import {
  type AuthorizationRequest,
  type Authorizer,
  authorizeOrThrow,
  type ChannelAttributes,
  type ChannelPolicyName,
  type EntityRef,
  type PolicyAction,
} from '@proof-messenger/policy';
import { ChannelPolicy as Policy } from '@proof-messenger/proto';
import type { ChannelAction, ChannelManagement, ChannelPolicy } from './ports/channel-policy.ts';
import type { ChannelRecord } from './ports/channel-store.ts';

/** The names policies see in `resource.policy`, by `proofmessenger.v1.ChannelPolicy`. */
const POLICY_NAMES: Readonly<Record<number, ChannelPolicyName>> = {
  [Policy.OPEN]: 'open',
  [Policy.PRIVATE]: 'private',
  [Policy.ALLOWLIST]: 'allowlist',
  [Policy.AUTHZ_REQUIRED]: 'authz_required',
};

/**
 * The schema name of a stored channel policy. Anything unknown reads as `authz_required`, the
 * most restrictive: a policy never sees a name it was not written for.
 */
export function channelPolicyName(policy: number): ChannelPolicyName {
  return POLICY_NAMES[policy] ?? 'authz_required';
}

/** `channel` as the policy engine's resource attributes. */
export function channelAttributes(channel: ChannelRecord): ChannelAttributes {
  return {
    owner: channel.ownerId,
    policy: channelPolicyName(channel.policy),
    allowlist: channel.allowlist,
  };
}

const ACTIONS: Readonly<Record<ChannelAction | ChannelManagement, PolicyAction>> = {
  subscribe: 'Subscribe',
  publish: 'Publish',
  create: 'CreateChannel',
  update: 'UpdateChannel',
  delete: 'DeleteChannel',
};

function request(
  principal: EntityRef,
  action: ChannelAction | ChannelManagement,
  channel: ChannelRecord,
  context?: Readonly<Record<string, string | number | boolean>>,
): AuthorizationRequest {
  return {
    principal,
    action: ACTIONS[action],
    resource: { type: 'Channel', id: channel.channelId },
    resourceAttributes: channelAttributes(channel),
    ...(context === undefined ? {} : { context }),
  };
}

/** The policy engine behind the ChannelPolicy port. */
export class PolicyChannelPolicy implements ChannelPolicy {
  readonly #authorizer: Authorizer;

  constructor(authorizer: Authorizer) {
    this.#authorizer = authorizer;
  }

  async authorize(
    action: ChannelAction,
    caller: Caller,
    channel: ChannelRecord,
    context?: Readonly<Record<string, string | number | boolean>>,
  ): Promise<void> {
    if (caller.kind !== 'agent') {
      throw new PolicyDeniedError(`only agents may ${action}; operators manage channels`);
    }
    await authorizeOrThrow(
      this.#authorizer,
      request(principalOf(caller), action, channel, context),
      `${action} on ${channelPolicyName(channel.policy)} channel ${channel.channelId}`,
    );
  }

  async authorizeManagement(
    action: ChannelManagement,
    caller: Caller,
    channel: ChannelRecord,
  ): Promise<void> {
    await authorizeOrThrow(
      this.#authorizer,
      request(principalOf(caller), action, channel),
      `${action} channel ${channel.channelId}`,
    );
  }

  async mayStay(agentId: string, channel: ChannelRecord): Promise<boolean> {
    const decision = await this.#authorizer.authorize(
      request({ type: 'Agent', id: agentId }, 'subscribe', channel),
    );
    return decision.allowed;
  }
}
