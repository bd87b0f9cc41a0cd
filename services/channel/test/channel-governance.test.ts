/**
 * The channel service under the policy engine, rate limits and the audit log, in both modes: a
 * written policy opens an `authz_required` channel to exactly the agents it names and takes
 * effect without a restart; a policy that forbids what the default allows is obeyed at once; a
 * small publish limit refuses the next publication with a retry-after hint and fans nothing out;
 * every channel change, subscription and publication is in the audit log with exact fields.
 */

import type { ReceivedMessage } from '@proof-messenger/client-sdk';
import { nativeProvider } from '@proof-messenger/crypto';
import { Code, ProofMessengerError, Reason } from '@proof-messenger/errors';
import { loadDefaultPolicy } from '@proof-messenger/policy';
import { ChannelPolicy } from '@proof-messenger/proto';
import { envelopeDigest } from '@proof-messenger/protocol';
import { requireNats } from '@proof-messenger/queue/testing';
import { requireServices } from '@proof-messenger/storage/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type ChannelAgent,
  type ChannelHarness,
  type Mode,
  startChannelHarness,
} from './channel-harness.ts';

const backends = await requireServices(['postgres', 'redis']);
const nats = await requireNats();
const distributedReady = backends.available && nats.available;
if (!distributedReady) {
  console.warn(`skipping distributed channel governance tests: ${backends.reason || nats.reason}`);
}
const modes: Mode[] = distributedReady ? ['embedded', 'distributed'] : ['embedded'];

async function failure(work: Promise<unknown>) {
  try {
    await work;
  } catch (error) {
    if (error instanceof ProofMessengerError) {
      return {
        code: error.code,
        reason: error.reason,
        message: error.message,
        retryAfterMs: error.retryAfterMs ?? 0,
      };
    }
    throw error;
  }
  throw new Error('expected the call to fail');
}

async function received(agent: ChannelAgent, count: number, withinMs = 8000) {
  const got: ReceivedMessage[] = [];
  const signal = AbortSignal.timeout(withinMs);
  for await (const item of agent.messages.receive({ signal, waitMs: 200 })) {
    await item.ack();
    if (item.kind === 'message') got.push(item);
    if (got.length === count) break;
  }
  return got;
}

let sequence = 0;
const channelName = (label: string) =>
  `${label}-${process.pid}-${Date.now().toString(36)}-${sequence++}`;

describe.each(modes)('channels under governance (%s)', (mode) => {
  let h: ChannelHarness;

  beforeAll(async () => {
    // publish: 3 in a burst, then one every 10 s — the fourth in a row is refused.
    h = await startChannelHarness(mode, { PM_RATE_LIMITS: 'publish=0.1/s:3' });
  }, 60_000);

  afterAll(async () => {
    await h?.close();
  }, 60_000);

  /** Publishes `text` as a new active policy version (the default plus `extra`). */
  async function publishPolicy(extra: string): Promise<number> {
    const record = await h.governance.policies.publish(`${loadDefaultPolicy()}\n${extra}`, {
      author: 'operator:test',
    });
    // In-process instances reload at once; others within their poll (the tests poll for the effect).
    return record.version;
  }

  it('a written policy opens an authz_required channel to exactly the agents it names', async () => {
    const [owner, monitor, reporter, stranger] = (await Promise.all(
      ['owner', 'monitor', 'reporter', 'stranger'].map((n) => h.agent(n)),
    )) as [ChannelAgent, ChannelAgent, ChannelAgent, ChannelAgent];
    const channelId = channelName('feed');
    await owner.channels.create({ channelId, policy: ChannelPolicy.AUTHZ_REQUIRED });
    const before = await failure(monitor.channels.subscribe(channelId));
    expect(before.code).toBe(Code.PERMISSION_DENIED);

    const version = await publishPolicy(`
@id("feed-monitor")
permit (
  principal == ProofMessenger::Agent::"${monitor.id}",
  action == ProofMessenger::Action::"Subscribe",
  resource == ProofMessenger::Channel::"${channelId}"
);

@id("feed-reporter")
permit (
  principal == ProofMessenger::Agent::"${reporter.id}",
  action == ProofMessenger::Action::"Publish",
  resource == ProofMessenger::Channel::"${channelId}"
);`);
    await expect
      .poll(
        () =>
          monitor.channels.subscribe(channelId).then(
            () => true,
            () => false,
          ),
        { timeout: 5000 },
      )
      .toBe(true);
    const denied = (agent: ChannelAgent, action: string) => ({
      code: Code.PERMISSION_DENIED,
      reason: Reason.POLICY_DENIED,
      message: `agent ${agent.id} may not ${action} on authz_required channel ${channelId}: no policy permits it (policy version ${version})`,
      retryAfterMs: 0,
    });
    expect(await failure(stranger.channels.subscribe(channelId))).toEqual(
      denied(stranger, 'subscribe'),
    );
    expect(await failure(reporter.channels.subscribe(channelId))).toEqual(
      denied(reporter, 'subscribe'),
    );
    expect(await failure(stranger.channels.publish(channelId, 'let me in'))).toEqual(
      denied(stranger, 'publish'),
    );
    // Subscribe only: the monitor still may not publish there.
    expect(await failure(monitor.channels.publish(channelId, 'may I?'))).toEqual(
      denied(monitor, 'publish'),
    );
    await owner.channels.publish(channelId, 'for the monitors');
    await reporter.channels.publish(channelId, 'from the reporter');
    expect((await received(monitor, 2)).map((m) => m.text())).toEqual([
      'for the monitors',
      'from the reporter',
    ]);
  });

  it('a forbid beats the default permit, and a rollback restores it', async () => {
    const [owner, member] = (await Promise.all(['owner', 'member'].map((n) => h.agent(n)))) as [
      ChannelAgent,
      ChannelAgent,
    ];
    const channelId = channelName('quiet');
    await owner.channels.create({ channelId, policy: ChannelPolicy.OPEN });
    const before = (await h.governance.policies.active())?.version ?? 0;
    const version = await publishPolicy(`
@id("quiet-no-subscribe")
forbid (principal, action == ProofMessenger::Action::"Subscribe", resource == ProofMessenger::Channel::"${channelId}")
unless { principal == resource.owner };`);
    await expect
      .poll(() => failure(member.channels.subscribe(channelId)).then((f) => f.message), {
        timeout: 5000,
      })
      .toBe(
        `agent ${member.id} may not subscribe on open channel ${channelId}: forbidden by policy "quiet-no-subscribe" (policy version ${version})`,
      );
    await h.governance.policies.activate(before, 'operator:test', 'roll back');
    await expect
      .poll(
        () =>
          member.channels.subscribe(channelId).then(
            () => true,
            () => false,
          ),
        {
          timeout: 5000,
        },
      )
      .toBe(true);
  });

  it('refuses publications over the limit with a retry-after hint and fans nothing out', async () => {
    const [owner, member] = (await Promise.all(['owner', 'member'].map((n) => h.agent(n)))) as [
      ChannelAgent,
      ChannelAgent,
    ];
    const channelId = channelName('limited');
    await owner.channels.create({ channelId, policy: ChannelPolicy.OPEN });
    await member.channels.subscribe(channelId);
    // The sender-key distribution is a publication too: 1 + 2 messages use the burst of 3.
    await owner.channels.publish(channelId, 'one');
    await owner.channels.publish(channelId, 'two');
    const refused = await failure(owner.channels.publish(channelId, 'three'));
    expect(refused.code).toBe(Code.RESOURCE_EXHAUSTED);
    expect(refused.reason).toBe(Reason.RATE_LIMITED);
    expect(refused.message).toContain(`${owner.id} exceeded the publish limit`);
    expect(refused.retryAfterMs).toBeGreaterThan(0);
    expect((await received(member, 3, 3000)).map((m) => m.text())).toEqual(['one', 'two']);
  });

  it('audits channel changes, subscriptions and publications with exact fields', async () => {
    const [owner, member, leaver] = (await Promise.all(
      ['owner', 'member', 'leaver'].map((n) => h.agent(n)),
    )) as [ChannelAgent, ChannelAgent, ChannelAgent];
    const channelId = channelName('audited');
    const target = `channel:${channelId}`;
    await owner.channels.create({
      channelId,
      policy: ChannelPolicy.ALLOWLIST,
      allowlist: [member.id, leaver.id],
    }); // epoch 1
    await member.channels.subscribe(channelId); // 2
    await leaver.channels.subscribe(channelId); // 3
    // A sender-key distribution, then the message: two publications at epoch 3.
    const published = await owner.channels.publish(channelId, 'secret words for members only');
    const [copy] = await received(member, 1);
    await leaver.channels.unsubscribe(channelId); // 4
    await owner.channels.update({
      channelId,
      policy: ChannelPolicy.ALLOWLIST,
      allowlist: [leaver.id],
    }); // removes member: 5
    await owner.channels.delete(channelId);
    await h.governance.recorder.flush();
    const policyVersion = String((await h.governance.policies.active())?.version);
    const { entries } = await h.governance.trail.query({ agentId: target, pageSize: 1000 });
    const mine = entries.reverse().map((e) => ({
      actor: e.actor,
      action: e.action,
      target: e.target,
      outcome: e.outcome,
      reason: e.reason,
      details: e.details,
      messageIds: [...e.messageIds],
      hashes: e.messageHashes.map((hash) => Buffer.from(hash).toString('hex')),
    }));
    const entry = (
      actor: string,
      action: string,
      details: Record<string, string>,
      extra: Partial<{ reason: string; messageIds: string[]; hashes: string[] }> = {},
    ) => ({
      actor,
      action,
      target,
      outcome: 'success',
      reason: '',
      details,
      messageIds: [],
      hashes: [],
      ...extra,
    });
    const distribution = mine[3];
    expect(distribution?.messageIds).toHaveLength(1);
    expect(distribution?.hashes[0]).toMatch(/^[0-9a-f]{64}$/);
    const digest = Buffer.from(
      envelopeDigest(
        nativeProvider,
        copy?.envelope.header ?? new Uint8Array(),
        copy?.envelope.payload ?? new Uint8Array(),
      ),
    ).toString('hex');
    expect(mine).toEqual([
      entry(owner.id, 'channel.created', { policy: 'allowlist', allowlist: '2' }),
      entry(member.id, 'channel.subscribed', { epoch: '2' }),
      entry(leaver.id, 'channel.subscribed', { epoch: '3' }),
      entry(
        owner.id,
        'channel.published',
        { epoch: '3', subscriberCount: '2' },
        { messageIds: distribution?.messageIds ?? [], hashes: distribution?.hashes ?? [] },
      ),
      entry(
        owner.id,
        'channel.published',
        { epoch: '3', subscriberCount: '2' },
        { messageIds: [published.messageId], hashes: [digest] },
      ),
      entry(leaver.id, 'channel.unsubscribed', {}),
      // The update asks the engine whether each member may stay; the authorizer audits the no.
      {
        ...entry(member.id, 'policy.denied', { action: 'Subscribe', policyVersion }),
        outcome: 'denied',
        reason: 'no policy permits',
      },
      entry(owner.id, 'channel.updated', {
        changed: 'allowlist',
        policy: 'allowlist',
        allowlist: '1',
        epoch: '5',
        removed: '1',
      }),
      entry(
        owner.id,
        'channel.unsubscribed',
        { member: member.id, epoch: '5' },
        { reason: 'no longer admitted by the updated settings' },
      ),
      entry(owner.id, 'channel.deleted', { members: '0' }),
    ]);
    const text = JSON.stringify(entries, (_k, v) =>
      v instanceof Uint8Array ? Buffer.from(v).toString('base64') : v,
    );
    expect(text).not.toContain('secret words');
  });
});
