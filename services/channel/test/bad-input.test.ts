/**
 * Bad input on every ChannelService RPC, through the real service (embedded platform): each case
 * answers its specific status and a message that says what to fix, and random or mutated bytes on
 * any method never produce INTERNAL or UNKNOWN, never crash the service, and never put anything
 * in a member's queue.
 */
import { create, fromBinary } from '@bufbuild/protobuf';
import { KemKeyPair, nativeProvider, newSenderKey, utf8 } from '@proof-messenger/crypto';
import { Code } from '@proof-messenger/errors';
import {
  ChannelMemberKeySchema,
  ChannelPolicy,
  ChannelService,
  type Envelope,
  EnvelopeHeaderSchema,
  EnvelopeSchema,
} from '@proof-messenger/proto';
import { sealChannelEnvelope, sealEnvelope, signStatement } from '@proof-messenger/protocol';
import { PromiseClient } from '@proof-messenger/rpc';
import { methodPaths, RawUnaryClient } from '@proof-messenger/rpc/testing';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ChannelAgent, type ChannelHarness, startChannelHarness } from './channel-harness.ts';

const provider = nativeProvider;
type Service = typeof ChannelService;

describe('channel service: bad input', () => {
  let h: ChannelHarness;
  let owner: ChannelAgent;
  let member: ChannelAgent;
  let rpc: PromiseClient<Service>;
  let address: string;
  const channelId = `bad-input-${process.pid}`;

  beforeAll(async () => {
    h = await startChannelHarness('embedded');
    owner = await h.agent('owner');
    member = await h.agent('member');
    address = h.channelAddress;
    rpc = new PromiseClient(ChannelService, address);
    await owner.channels.create({ channelId, policy: ChannelPolicy.OPEN });
    await member.channels.subscribe(channelId);
  }, 60_000);

  afterAll(async () => {
    rpc?.close();
    await h?.close();
  });

  const as = async (agent: ChannelAgent) => ({
    metadata: { authorization: await agent.keys.client.authorization() },
  });

  async function status(work: Promise<unknown>): Promise<{ code: Code; message: string }> {
    try {
      await work;
    } catch (error) {
      const { code, message } = error as { code: Code; message: string };
      return { code, message };
    }
    throw new Error('expected the call to fail');
  }

  /** A channel message from `agent` for the current epoch, or with the changes `edit` makes. */
  async function channelEnvelope(
    agent: ChannelAgent,
    epoch: bigint,
    text = 'x',
  ): Promise<Envelope> {
    return sealChannelEnvelope(
      provider,
      agent.keys.signer,
      { senderId: agent.id, channelId, channelEpoch: epoch },
      newSenderKey(provider),
      utf8(text),
    );
  }

  it('refuses malformed channels on create and update', async () => {
    const cases: [object, Code, string][] = [
      [{}, Code.INVALID_ARGUMENT, 'channel is required'],
      [
        { channel: { channelId: 'Bad Id', policy: ChannelPolicy.OPEN } },
        Code.INVALID_ARGUMENT,
        "channel.channel_id must be 1-128 characters of a-z, 0-9, '.', '_' or '-' starting with a letter or digit, got \"Bad Id\"",
      ],
      [
        { channel: { channelId: 'ok', policy: 0 } },
        Code.INVALID_ARGUMENT,
        'channel.policy must be CHANNEL_POLICY_OPEN, _PRIVATE, _AUTHZ_REQUIRED or _ALLOWLIST',
      ],
      [
        { channel: { channelId: 'ok', policy: 99 } },
        Code.INVALID_ARGUMENT,
        'channel.policy must be CHANNEL_POLICY_OPEN, _PRIVATE, _AUTHZ_REQUIRED or _ALLOWLIST',
      ],
      [
        {
          channel: {
            channelId: 'ok',
            policy: ChannelPolicy.OPEN,
            historyVisibleToNewMembers: true,
          },
        },
        Code.INVALID_ARGUMENT,
        'channel.history_visible_to_new_members is not supported: members read only what is published while they are members (see docs/channels.md)',
      ],
      [
        { channel: { channelId: 'ok', policy: ChannelPolicy.OPEN, maxMessageBytes: 1 << 30 } },
        Code.INVALID_ARGUMENT,
        `channel.max_message_bytes must be at most 262144, got ${1 << 30}`,
      ],
      [
        { channel: { channelId: 'ok', policy: ChannelPolicy.OPEN, allowlist: ['NOT valid'] } },
        Code.INVALID_ARGUMENT,
        'channel.allowlist[0] must be',
      ],
      [
        { channel: { channelId, policy: ChannelPolicy.OPEN } },
        Code.ALREADY_EXISTS,
        `channel ${channelId} already exists`,
      ],
    ];
    for (const [request, code, message] of cases) {
      const answer = await status(rpc.call('createChannel', request, await as(owner)));
      expect(answer.code).toBe(code);
      expect(answer.message.startsWith(message)).toBe(true);
    }
    expect(
      await status(
        rpc.call(
          'updateChannel',
          { channel: { channelId: 'missing', policy: ChannelPolicy.OPEN } },
          await as(owner),
        ),
      ),
    ).toEqual({ code: Code.NOT_FOUND, message: 'channel missing does not exist' });
    expect(
      (await status(rpc.call('createChannel', { channel: { channelId: 'x', policy: 1 } }))).code,
    ).toBe(Code.UNAUTHENTICATED);
  });

  it('refuses bad ids, pages and unknown channels on the read RPCs', async () => {
    const auth = await as(owner);
    expect((await status(rpc.call('getChannel', { channelId: '' }, auth))).code).toBe(
      Code.INVALID_ARGUMENT,
    );
    expect(await status(rpc.call('getChannel', { channelId: 'nope' }, auth))).toEqual({
      code: Code.NOT_FOUND,
      message: 'channel nope does not exist',
    });
    expect(await status(rpc.call('deleteChannel', { channelId: 'nope' }, auth))).toEqual({
      code: Code.NOT_FOUND,
      message: 'channel nope does not exist',
    });
    expect(
      await status(rpc.call('listSubscribers', { channelId, pageSize: 20_000 }, auth)),
    ).toEqual({
      code: Code.INVALID_ARGUMENT,
      message: 'page_size must be at most 10000, got 20000',
    });
    expect(
      (await status(rpc.call('getChannelMembers', { channelId, pageToken: 'NO!' }, auth))).code,
    ).toBe(Code.INVALID_ARGUMENT);
    expect(await status(rpc.call('unsubscribe', { channelId }, auth))).toEqual({
      code: Code.NOT_FOUND,
      message: `${owner.id} is not subscribed to ${channelId}`,
    });
  });

  it('refuses missing, foreign, stale and unusable member keys', async () => {
    const auth = await as(owner);
    const kem = KemKeyPair.generate(provider, 2).keyPair;
    const memberKey = (init: Record<string, unknown>) =>
      signStatement(
        owner.keys.signer,
        ChannelMemberKeySchema,
        create(ChannelMemberKeySchema, {
          channelId,
          agentId: owner.id,
          key: { keyId: kem.keyId, suite: kem.suite, publicKey: kem.publicKey },
          createdAtMs: BigInt(Date.now()),
          ...init,
        }),
      );
    expect(await status(rpc.call('subscribe', { channelId }, auth))).toEqual({
      code: Code.INVALID_ARGUMENT,
      message: 'member_key is required: a ChannelMemberKey signed with your identity key',
    });
    expect(
      await status(
        rpc.call(
          'subscribe',
          { channelId, memberKey: await memberKey({ channelId: 'other' }) },
          auth,
        ),
      ),
    ).toEqual({
      code: Code.INVALID_ARGUMENT,
      message: `member_key must name channel ${channelId} and agent ${owner.id}, got other / ${owner.id}`,
    });
    expect(
      (
        await status(
          rpc.call(
            'subscribe',
            { channelId, memberKey: await memberKey({ createdAtMs: 1n }) },
            auth,
          ),
        )
      ).code,
    ).toBe(Code.FAILED_PRECONDITION);
    const random = new Uint8Array(kem.publicKey.length).fill(7);
    const unusable = await memberKey({ key: { keyId: kem.keyId, suite: 2, publicKey: random } });
    expect(
      (await status(rpc.call('subscribe', { channelId, memberKey: unusable }, auth))).message,
    ).toMatch(/^member_key\.key\.key_id must be the fingerprint of the key/);
    const forged = await memberKey({});
    forged.body = forged.body.slice();
    forged.body[forged.body.length - 1] = (forged.body.at(-1) ?? 0) ^ 1;
    expect((await status(rpc.call('subscribe', { channelId, memberKey: forged }, auth))).code).toBe(
      Code.INVALID_ARGUMENT,
    );
  });

  it('refuses every malformed publication before anything is stored', async () => {
    const auth = await as(member);
    const epoch = (await member.channels.get(channelId)).epoch;
    const direct = await sealEnvelope(
      provider,
      member.keys.signer,
      { senderId: member.id, recipientId: owner.id },
      [KemKeyPair.generate(provider, 2).keyPair],
      utf8('direct'),
    );
    const kemChannel = await sealEnvelope(
      provider,
      member.keys.signer,
      { senderId: member.id, channelId, channelEpoch: epoch },
      [KemKeyPair.generate(provider, 2).keyPair],
      utf8('kem'),
    );
    const good = await channelEnvelope(member, epoch);
    const tampered = create(EnvelopeSchema, { ...good, payload: good.payload.slice() });
    tampered.payload[0] = (tampered.payload[0] ?? 0) ^ 1;
    const header = fromBinary(EnvelopeHeaderSchema, good.header);
    const cases: [Envelope | undefined, Code, string][] = [
      [undefined, Code.INVALID_ARGUMENT, 'envelope is required'],
      [
        direct,
        Code.INVALID_ARGUMENT,
        'Publish carries channel messages; send direct messages with EnvelopeProcessorService.SendMessage',
      ],
      [
        await channelEnvelope(member, epoch + 5n),
        Code.FAILED_PRECONDITION,
        `channel ${channelId} is at epoch ${epoch}, the envelope is for epoch ${epoch + 5n}`,
      ],
      [
        kemChannel,
        Code.INVALID_ARGUMENT,
        'a channel message must be encrypted under your sender key',
      ],
      [
        tampered,
        Code.INVALID_ARGUMENT,
        `envelope signature does not verify for sender ${member.id}`,
      ],
      [
        await channelEnvelope(owner, epoch),
        Code.PERMISSION_DENIED,
        `${member.id} may not publish as ${owner.id}`,
      ],
    ];
    for (const [envelope, code, message] of cases) {
      const answer = await status(
        rpc.call('publish', envelope === undefined ? {} : { envelope }, auth),
      );
      expect(answer.code).toBe(code);
      expect(answer.message.startsWith(message)).toBe(true);
    }
    const big = await channelEnvelope(member, epoch, 'x'.repeat(300 * 1024));
    expect(await status(rpc.call('publish', { envelope: big }, auth))).toEqual({
      code: Code.RESOURCE_EXHAUSTED,
      message: `envelope is ${big.header.length + big.payload.length} bytes; the maximum is 262144`,
    });
    // The same id with other content is a replay; the same envelope again is a retry.
    const first = await rpc.call('publish', { envelope: good }, auth);
    expect(first.duplicate).toBe(false);
    expect((await rpc.call('publish', { envelope: good }, auth)).duplicate).toBe(true);
    const replay = await sealChannelEnvelope(
      provider,
      member.keys.signer,
      { senderId: member.id, channelId, channelEpoch: epoch, messageId: header.messageId },
      newSenderKey(provider),
      utf8('other content'),
    );
    expect(await status(rpc.call('publish', { envelope: replay }, auth))).toEqual({
      code: Code.ALREADY_EXISTS,
      message: `message id ${header.messageId} was already used by ${member.id} for another envelope`,
    });
  });

  it('answers random and mutated bytes on every method without INTERNAL, UNKNOWN or a crash', async () => {
    const raw = new RawUnaryClient(address);
    const authorization = (await as(member)).metadata.authorization;
    const paths = methodPaths(ChannelService);
    const seen = new Set<number>();
    const before = await h.queue.stats(member.id);
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(...paths),
        fc.uint8Array({ maxLength: 512 }),
        fc.boolean(),
        async (path, body, authenticated) => {
          const code = await raw.code(path, body, authenticated ? authorization : undefined);
          seen.add(code);
          expect([
            Code.INTERNAL,
            Code.UNKNOWN,
            Code.DEADLINE_EXCEEDED,
            Code.UNAVAILABLE,
          ]).not.toContain(code);
        },
      ),
      { numRuns: 300 },
    );
    raw.close();
    expect(seen.has(Code.INVALID_ARGUMENT)).toBe(true);
    expect(seen.has(Code.UNAUTHENTICATED)).toBe(true);
    expect(await h.queue.stats(member.id)).toEqual(before);
    // Still serving.
    expect((await member.channels.get(channelId)).channelId).toBe(channelId);
  }, 60_000);
});
