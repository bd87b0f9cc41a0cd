/**
 * Channels end to end through the SDK, in both modes: the four policies (who may subscribe and
 * publish, and who may not, with exact statuses), owner-only management, join-later semantics,
 * removal followed by inability to read what comes after, deletion with notices, fanout to many
 * members with exactly one copy each, and bad input on every RPC.
 */

import type { InboundItem, ReceivedMessage } from '@proof-messenger/client-sdk';
import { nativeProvider } from '@proof-messenger/crypto';
import { Code, ProofMessengerError, Reason } from '@proof-messenger/errors';
import { ChannelPolicy, type Envelope } from '@proof-messenger/proto';
import { openChannelEnvelope, parseEnvelopeHeader, senderKeyIdOf } from '@proof-messenger/protocol';
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
  console.warn(`skipping distributed channel tests: ${backends.reason || nats.reason}`);
}
const modes: Mode[] = distributedReady ? ['embedded', 'distributed'] : ['embedded'];

/** What a call failed with: code, reason and message. */
async function failure(
  work: Promise<unknown>,
): Promise<{ code: Code; reason: number; message: string }> {
  try {
    await work;
  } catch (error) {
    if (error instanceof ProofMessengerError) {
      return { code: error.code, reason: error.reason, message: error.message };
    }
    throw error;
  }
  throw new Error('expected the call to fail');
}

/** Channel messages for `agent` until `count` arrived or `withinMs` passed; each is acked. */
async function received(
  agent: ChannelAgent,
  count: number,
  withinMs = 8000,
): Promise<ReceivedMessage[]> {
  const got: ReceivedMessage[] = [];
  const signal = AbortSignal.timeout(withinMs);
  const items: InboundItem[] = [];
  for await (const item of agent.messages.receive({ signal, waitMs: 200 })) {
    items.push(item);
    await item.ack();
    if (item.kind === 'message') got.push(item);
    if (got.length === count) break;
  }
  return got;
}

const texts = (messages: readonly ReceivedMessage[]) => messages.map((m) => m.text());

let sequence = 0;
const channelName = (label: string) =>
  `${label}-${process.pid}-${Date.now().toString(36)}-${sequence++}`;

describe.each(modes)('channels (%s)', (mode) => {
  let h: ChannelHarness;

  beforeAll(async () => {
    h = await startChannelHarness(mode);
  }, 60_000);

  afterAll(async () => {
    await h?.close();
  }, 60_000);

  it('open: anyone subscribes and publishes; every member reads, nobody else gets it', async () => {
    const [owner, alice, bob, outsider] = (await Promise.all(
      ['owner', 'alice', 'bob', 'outsider'].map((n) => h.agent(n)),
    )) as [ChannelAgent, ChannelAgent, ChannelAgent, ChannelAgent];
    const channelId = channelName('open');
    const channel = await owner.channels.create({ channelId, policy: ChannelPolicy.OPEN });
    expect(channel.ownerId).toBe(owner.id);
    expect(channel.epoch).toBe(1n);
    expect(await alice.channels.subscribe(channelId)).toBe(2n);
    expect(await bob.channels.subscribe(channelId)).toBe(3n);

    const sent = await alice.channels.publish(channelId, 'hello channel');
    expect(sent.subscriberCount).toBe(2);
    expect(sent.epoch).toBe(3n);
    expect(sent.keysDistributed).toBe(2);

    for (const member of [alice, bob]) {
      const [message] = await received(member, 1);
      expect(message?.text()).toBe('hello channel');
      expect(message?.channelId).toBe(channelId);
      expect(message?.senderId).toBe(alice.id);
      expect(message?.cleartext).toBe(false);
    }
    expect(await received(outsider, 1, 800)).toEqual([]);
    // The sender key goes out once per epoch.
    const again = await bob.channels.publish(channelId, 'second');
    expect(again.keysDistributed).toBe(2);
    const third = await bob.channels.publish(channelId, 'third');
    expect(third.keysDistributed).toBe(0);
    expect(texts(await received(alice, 2))).toEqual(['second', 'third']);
    expect([alice.invalid, bob.invalid]).toEqual([[], []]);
  });

  it('private: only allowlisted agents subscribe, only the owner publishes', async () => {
    const [owner, listed, stranger] = (await Promise.all(
      ['owner', 'listed', 'stranger'].map((n) => h.agent(n)),
    )) as [ChannelAgent, ChannelAgent, ChannelAgent];
    const channelId = channelName('private');
    await owner.channels.create({
      channelId,
      policy: ChannelPolicy.PRIVATE,
      allowlist: [listed.id],
    });
    expect(await failure(stranger.channels.subscribe(channelId))).toEqual({
      code: Code.PERMISSION_DENIED,
      reason: Reason.POLICY_DENIED,
      message: `agent ${stranger.id} may not subscribe on private channel ${channelId}: no policy permits it (policy version 1)`,
    });
    await listed.channels.subscribe(channelId);
    expect(await failure(listed.channels.publish(channelId, 'may I?'))).toEqual({
      code: Code.PERMISSION_DENIED,
      reason: Reason.POLICY_DENIED,
      message: `agent ${listed.id} may not publish on private channel ${channelId}: no policy permits it (policy version 1)`,
    });
    await owner.channels.publish(channelId, 'from the owner');
    expect(texts(await received(listed, 1))).toEqual(['from the owner']);
  });

  it('allowlist: listed agents subscribe and publish, others neither', async () => {
    const [owner, listed, stranger] = (await Promise.all(
      ['owner', 'listed', 'stranger'].map((n) => h.agent(n)),
    )) as [ChannelAgent, ChannelAgent, ChannelAgent];
    const channelId = channelName('allow');
    await owner.channels.create({
      channelId,
      policy: ChannelPolicy.ALLOWLIST,
      allowlist: [listed.id],
    });
    await listed.channels.subscribe(channelId);
    await owner.channels.subscribe(channelId);
    expect((await failure(stranger.channels.subscribe(channelId))).message).toBe(
      `agent ${stranger.id} may not subscribe on allowlist channel ${channelId}: no policy permits it (policy version 1)`,
    );
    expect((await failure(stranger.channels.publish(channelId, 'x'))).message).toBe(
      `agent ${stranger.id} may not publish on allowlist channel ${channelId}: no policy permits it (policy version 1)`,
    );
    await listed.channels.publish(channelId, 'listed speaks');
    expect(texts(await received(owner, 1))).toEqual(['listed speaks']);
  });

  it('authz-required: under the default policy only the owner may act', async () => {
    const [owner, other] = (await Promise.all(['owner', 'other'].map((n) => h.agent(n)))) as [
      ChannelAgent,
      ChannelAgent,
    ];
    const channelId = channelName('authz');
    await owner.channels.create({
      channelId,
      policy: ChannelPolicy.AUTHZ_REQUIRED,
      allowlist: [other.id],
    });
    expect(await failure(other.channels.subscribe(channelId))).toEqual({
      code: Code.PERMISSION_DENIED,
      reason: Reason.POLICY_DENIED,
      message: `agent ${other.id} may not subscribe on authz_required channel ${channelId}: no policy permits it (policy version 1)`,
    });
    await owner.channels.subscribe(channelId);
    await owner.channels.publish(channelId, 'owner only');
    expect(texts(await received(owner, 1))).toEqual(['owner only']);
  });

  it('only the owner (or an operator) manages a channel', async () => {
    const [owner, member] = (await Promise.all(['owner', 'member'].map((n) => h.agent(n)))) as [
      ChannelAgent,
      ChannelAgent,
    ];
    const channelId = channelName('managed');
    await owner.channels.create({ channelId, policy: ChannelPolicy.OPEN });
    await member.channels.subscribe(channelId);
    const denied = (action: string) => ({
      code: Code.PERMISSION_DENIED,
      reason: Reason.POLICY_DENIED,
      message: `agent ${member.id} may not ${action} channel ${channelId}: no policy permits it (policy version 1)`,
    });
    expect(
      await failure(member.channels.update({ channelId, policy: ChannelPolicy.PRIVATE })),
    ).toEqual(denied('update'));
    expect(await failure(member.channels.delete(channelId))).toEqual(denied('delete'));
    expect(await failure(member.channels.listSubscribers(channelId))).toEqual({
      code: Code.PERMISSION_DENIED,
      reason: Reason.POLICY_DENIED,
      message: `only the owner (${owner.id}) or an operator may list the subscribers of channel ${channelId}`,
    });
    expect(await owner.channels.listSubscribers(channelId)).toEqual([member.id]);
    expect((await member.channels.get(channelId)).allowlist).toEqual([]);
    const updated = await owner.channels.update({
      channelId,
      policy: ChannelPolicy.OPEN,
      maxSubscribers: 50,
    });
    expect(updated.maxSubscribers).toBe(50);
    await member.channels.unsubscribe(channelId);
    expect(await owner.channels.listSubscribers(channelId)).toEqual([]);
    const [memberKey] = await member.keyStore.list({ kind: 'channel-member', peerId: channelId });
    expect(memberKey?.expiresAtMs).toBeGreaterThan(Date.now());
  });

  it('a member joining later reads only what is published after it joined', async () => {
    const [owner, early, late] = (await Promise.all(
      ['owner', 'early', 'late'].map((n) => h.agent(n)),
    )) as [ChannelAgent, ChannelAgent, ChannelAgent];
    const channelId = channelName('later');
    await owner.channels.create({ channelId, policy: ChannelPolicy.OPEN });
    await early.channels.subscribe(channelId);
    await owner.channels.publish(channelId, 'before');
    await late.channels.subscribe(channelId);
    await owner.channels.publish(channelId, 'after');
    expect(texts(await received(early, 2))).toEqual(['before', 'after']);
    expect(texts(await received(late, 2, 1500))).toEqual(['after']);
  });

  it('a removed member cannot read anything published after its removal', async () => {
    const [owner, stays, removed] = (await Promise.all(
      ['owner', 'stays', 'removed'].map((n) => h.agent(n)),
    )) as [ChannelAgent, ChannelAgent, ChannelAgent];
    const channelId = channelName('removal');
    await owner.channels.create({
      channelId,
      policy: ChannelPolicy.ALLOWLIST,
      allowlist: [stays.id, removed.id],
    });
    await stays.channels.subscribe(channelId);
    await removed.channels.subscribe(channelId);
    await owner.channels.publish(channelId, 'for both');
    expect(texts(await received(removed, 1))).toEqual(['for both']);

    const updated = await owner.channels.update({
      channelId,
      policy: ChannelPolicy.ALLOWLIST,
      allowlist: [stays.id],
    });
    expect(await owner.channels.listSubscribers(channelId)).toEqual([stays.id]);
    await owner.channels.publish(channelId, 'after removal');
    const [first, second] = await received(stays, 2);
    expect([first?.text(), second?.text()]).toEqual(['for both', 'after removal']);
    expect(await received(removed, 1, 1000)).toEqual([]);

    // Even holding the envelope, the removed member has no key that opens it.
    const envelope = second?.envelope as Envelope;
    const header = parseEnvelopeHeader(envelope.header);
    expect(header.channelEpoch).toBe(BigInt(updated.epoch));
    const senderKeys = await removed.keyStore.list({ kind: 'channel-sender', peerId: channelId });
    expect(senderKeys.length).toBe(1);
    expect(senderKeys.map((k) => k.keyId)).not.toContain(senderKeyIdOf(header));
    for (const record of senderKeys) {
      const key = await removed.keyStore.loadSenderKey(record.keyId);
      await expect(
        openChannelEnvelope(nativeProvider, envelope, owner.keys.signer.publicKey, key),
      ).rejects.toThrow('channel message is under sender key');
    }
  });

  it('deleting a channel ends its subscriptions and tells the subscribers', async () => {
    const [owner, member] = (await Promise.all(['owner', 'member'].map((n) => h.agent(n)))) as [
      ChannelAgent,
      ChannelAgent,
    ];
    const channelId = channelName('deleted');
    await owner.channels.create({ channelId, policy: ChannelPolicy.OPEN });
    await member.channels.subscribe(channelId);
    await owner.channels.delete(channelId);
    const signal = AbortSignal.timeout(5000);
    let notice: InboundItem | undefined;
    for await (const item of member.messages.receive({ signal, waitMs: 200 })) {
      notice = item;
      await item.ack();
      break;
    }
    expect(notice?.kind).toBe('channel-deleted');
    expect(notice?.kind !== 'message' && notice?.recipientId).toBe(channelId);
    // Its keys for the channel now expire (after what was queued could still be read).
    const left = await member.keyStore.list({ peerId: channelId });
    expect(left.map((k) => k.kind)).toEqual(['channel-member']);
    expect(left.every((k) => (k.expiresAtMs ?? 0) > Date.now())).toBe(true);
    expect((await failure(member.channels.get(channelId))).code).toBe(Code.NOT_FOUND);
  });

  it('reads each subscription as its own iterator, leaving the rest for other loops', async () => {
    const [owner, reader] = (await Promise.all(['owner', 'reader'].map((n) => h.agent(n)))) as [
      ChannelAgent,
      ChannelAgent,
    ];
    const [a, b] = [channelName('iter-a'), channelName('iter-b')];
    for (const channelId of [a, b]) {
      await owner.channels.create({ channelId, policy: ChannelPolicy.OPEN });
      await reader.channels.subscribe(channelId);
    }
    await owner.channels.publish(a, 'a1');
    await owner.channels.publish(b, 'b1');
    await owner.messages.send(reader.id, 'direct');
    await owner.channels.publish(a, 'a2');
    const only = async (options: { channelId?: string }, count: number) => {
      const got: string[] = [];
      const signal = AbortSignal.timeout(8000);
      for await (const item of reader.messages.receive({ ...options, signal, waitMs: 200 })) {
        if (item.kind === 'message') got.push(`${item.channelId || 'direct'}:${item.text()}`);
        await item.ack();
        if (got.length === count) break;
      }
      return got;
    };
    expect(await only({ channelId: a }, 2)).toEqual([`${a}:a1`, `${a}:a2`]);
    expect(await only({ channelId: b }, 1)).toEqual([`${b}:b1`]);
    expect(await only({}, 1)).toEqual(['direct:direct']);
  });

  it('fans out to 200 members with exactly one copy each', async () => {
    const owner = await h.agent('fan-owner');
    const channelId = channelName('fan');
    await owner.channels.create({ channelId, policy: ChannelPolicy.OPEN });
    const members: ChannelAgent[] = [];
    for (let i = 0; i < 200; i += 20) {
      const batch = await Promise.all(
        Array.from({ length: 20 }, (_, j) => h.agent(`fan-${i + j}`, { prekeys: false })),
      );
      for (const member of batch) await member.channels.subscribe(channelId);
      members.push(...batch);
    }
    const sent = await owner.channels.publish(channelId, 'to everyone');
    expect(sent.subscriberCount).toBe(200);
    // Each member's queue: the sender-key distribution and the message, once each.
    const deadline = Date.now() + 20_000;
    const counts = new Map<string, number>();
    for (const member of members) {
      let got = 0;
      while (got < 2 && Date.now() < deadline) {
        const { deliveries } = await h.queue.receive(
          member.id,
          { max: 10, waitMs: 200 },
          Date.now(),
        );
        got += deliveries.length;
        for (const d of deliveries) await h.queue.ack(member.id, d.deliveryId, Date.now());
      }
      const { deliveries: extra } = await h.queue.receive(
        member.id,
        { max: 10, waitMs: 0 },
        Date.now(),
      );
      counts.set(member.id, got + extra.length);
    }
    expect(new Set(counts.values())).toEqual(new Set([2]));
  }, 120_000);
});
