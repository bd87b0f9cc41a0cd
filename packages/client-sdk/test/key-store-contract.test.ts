/**
 * The KeyStore contract, run against every adapter: MemoryKeyStore, and FileKeyStore unlocked by a
 * passphrase and by a supplied key. Disk-specific behaviour (reopening, tampering, locks) is in
 * file-key-store.test.ts.
 */
import { join } from 'node:path';
import { inspect } from 'node:util';
import {
  defaultProvider,
  kemEncapsulate,
  senderKeyFingerprint,
  toHex,
  utf8,
  verifyComposite,
} from '@proof-messenger/crypto';
import { AlreadyExistsError, InvalidArgumentError, KeyUnknownError } from '@proof-messenger/errors';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  FileKeyStore,
  type KeyStore,
  KeyStoreClosedError,
  MemoryKeyStore,
  type NewKey,
} from '../src/index.ts';
import { FAST_SCRYPT, isZero, KEYS, PASSPHRASE, tempDir } from './key-store-fixtures.ts';

const provider = defaultProvider();

interface Adapter {
  readonly store: KeyStore;
  readonly closedMessage: string;
  readonly cleanup: () => Promise<void>;
}

const adapters: Array<[string, () => Promise<Adapter>]> = [
  [
    'MemoryKeyStore',
    async () => ({
      store: new MemoryKeyStore({ provider }),
      closedMessage: 'key store is closed',
      cleanup: async () => {},
    }),
  ],
  [
    'FileKeyStore (passphrase)',
    async () => {
      const { dir, cleanup } = await tempDir();
      const path = join(dir, 'agent.keys');
      const store = await FileKeyStore.create(path, {
        passphrase: PASSPHRASE,
        scrypt: FAST_SCRYPT,
        provider,
      });
      return { store, closedMessage: `key store ${path} is closed`, cleanup };
    },
  ],
  [
    'FileKeyStore (supplied key)',
    async () => {
      const { dir, cleanup } = await tempDir();
      const path = join(dir, 'agent.keys');
      const store = await FileKeyStore.create(path, { key: new Uint8Array(32).fill(9), provider });
      return { store, closedMessage: `key store ${path} is closed`, cleanup };
    },
  ],
];

describe.each(adapters)('KeyStore contract: %s', (_name, makeAdapter) => {
  let adapter: Adapter;
  let store: KeyStore;

  beforeEach(async () => {
    adapter = await makeAdapter();
    store = adapter.store;
  });

  afterEach(async () => {
    await store.close();
    await adapter.cleanup();
  });

  it('put derives the key id from the seed and returns the record', async () => {
    const identity = await store.put({
      kind: 'identity',
      seed: KEYS.identity.seed(),
      createdAtMs: 1_000,
    });
    const prekey = await store.put({
      kind: 'signed-prekey',
      suite: 1,
      seed: KEYS.mlKem.seed(),
      createdAtMs: 2_000,
      expiresAtMs: 9_000,
    });
    const session = await store.put({
      kind: 'session',
      suite: 2,
      peerId: 'agent-b',
      seed: KEYS.xWing.seed(),
      createdAtMs: 3_000,
    });

    expect(identity).toEqual({ keyId: KEYS.identity.keyId, kind: 'identity', createdAtMs: 1_000 });
    expect(prekey).toEqual({
      keyId: KEYS.mlKem.keyId,
      kind: 'signed-prekey',
      suite: 1,
      createdAtMs: 2_000,
      expiresAtMs: 9_000,
    });
    expect(session).toEqual({
      keyId: KEYS.xWing.keyId,
      kind: 'session',
      suite: 2,
      peerId: 'agent-b',
      createdAtMs: 3_000,
    });
    expect(Object.isFrozen(identity)).toBe(true);
    expect(await store.get(KEYS.identity.keyId)).toEqual(identity);
    expect(await store.get(KEYS.mlKem.keyId)).toEqual(prekey);
    expect(await store.get(KEYS.xWing.keyId)).toEqual(session);
  });

  it('loads ready signers and KEM key pairs', async () => {
    await store.put({ kind: 'identity', seed: KEYS.identity.seed(), createdAtMs: 1 });
    await store.put({ kind: 'one-time-prekey', suite: 2, seed: KEYS.xWing.seed(), createdAtMs: 1 });

    const signer = await store.loadSigner(KEYS.identity.keyId);
    expect(signer.keyId).toBe(KEYS.identity.keyId);
    const message = utf8('hello');
    const context = utf8('proof-messenger/v1');
    const signature = await signer.sign(message, context);
    expect(await verifyComposite(provider, signer.publicKey, message, signature, context)).toBe(
      true,
    );

    const keyPair = await store.loadKemKeyPair(KEYS.xWing.keyId);
    expect(keyPair.keyId).toBe(KEYS.xWing.keyId);
    expect(keyPair.suite).toBe(2);
    const { sharedSecret, ciphertext } = await kemEncapsulate(provider, 2, keyPair.publicKey);
    expect(toHex(await keyPair.decapsulate(ciphertext))).toBe(toHex(sharedSecret));
  });

  it('generates fresh keys whose seeds never leave the store', async () => {
    const a = await store.generate({ kind: 'identity', createdAtMs: 5 });
    const b = await store.generate({
      kind: 'session',
      suite: 1,
      peerId: 'agent-c',
      createdAtMs: 6,
    });

    expect(a).toEqual({
      keyId: expect.stringMatching(/^[A-Za-z0-9_-]{22}$/),
      kind: 'identity',
      createdAtMs: 5,
    });
    expect(b).toEqual({
      keyId: expect.stringMatching(/^[A-Za-z0-9_-]{22}$/),
      kind: 'session',
      suite: 1,
      peerId: 'agent-c',
      createdAtMs: 6,
    });
    expect((await store.loadSigner(a.keyId)).keyId).toBe(a.keyId);
    expect((await store.loadKemKeyPair(b.keyId)).keyId).toBe(b.keyId);
    const again = await store.generate({ kind: 'identity', createdAtMs: 5 });
    expect(again.keyId).not.toBe(a.keyId);
  });

  it('lists by kind, peer and suite, oldest first', async () => {
    await store.put({
      kind: 'session',
      suite: 2,
      peerId: 'agent-b',
      seed: KEYS.xWing2.seed(),
      createdAtMs: 30,
    });
    await store.put({ kind: 'identity', seed: KEYS.identity2.seed(), createdAtMs: 20 });
    await store.put({ kind: 'identity', seed: KEYS.identity.seed(), createdAtMs: 10 });
    await store.put({
      kind: 'session',
      suite: 2,
      peerId: 'agent-c',
      seed: KEYS.xWing3.seed(),
      createdAtMs: 30,
    });
    await store.put({ kind: 'signed-prekey', suite: 1, seed: KEYS.mlKem.seed(), createdAtMs: 40 });
    await store.put({
      kind: 'session',
      suite: 2,
      peerId: 'agent-b',
      seed: KEYS.xWing.seed(),
      createdAtMs: 50,
    });

    const ids = (records: Array<{ keyId: string }>) => records.map((record) => record.keyId);
    expect(ids(await store.list())).toEqual([
      KEYS.identity.keyId,
      KEYS.identity2.keyId,
      // same createdAtMs: by key id
      KEYS.xWing3.keyId,
      KEYS.xWing2.keyId,
      KEYS.mlKem.keyId,
      KEYS.xWing.keyId,
    ]);
    expect(ids(await store.list({ kind: 'identity' }))).toEqual([
      KEYS.identity.keyId,
      KEYS.identity2.keyId,
    ]);
    expect(ids(await store.list({ kind: 'session', peerId: 'agent-b' }))).toEqual([
      KEYS.xWing2.keyId,
      KEYS.xWing.keyId,
    ]);
    expect(ids(await store.list({ suite: 1 }))).toEqual([KEYS.mlKem.keyId]);
    expect(await store.list({ kind: 'one-time-prekey' })).toEqual([]);
    expect(await store.list({ kind: 'session', peerId: 'agent-z' })).toEqual([]);
  });

  const invalid: Array<[string, Record<string, unknown>, string, string]> = [
    [
      'an unknown kind',
      { kind: 'bogus', seed: KEYS.identity.seed(), createdAtMs: 1 },
      'key.kind',
      'key.kind must be one of identity, signed-prekey, one-time-prekey, session, channel-member, channel-sender, got "bogus"',
    ],
    [
      'a suite on an identity key',
      { kind: 'identity', suite: 2, seed: KEYS.identity.seed(), createdAtMs: 1 },
      'key.suite',
      'key.suite is only for KEM keys; leave it out for identity keys',
    ],
    [
      'a KEM key without a suite',
      { kind: 'signed-prekey', seed: KEYS.mlKem.seed(), createdAtMs: 1 },
      'key.suite',
      'key.suite must be 1 (ML-KEM-768) or 2 (X-Wing) for signed-prekey keys, got undefined',
    ],
    [
      'an unknown suite',
      { kind: 'one-time-prekey', suite: 3, seed: KEYS.xWing.seed(), createdAtMs: 1 },
      'key.suite',
      'key.suite must be 1 (ML-KEM-768) or 2 (X-Wing) for one-time-prekey keys, got 3',
    ],
    [
      'a session key without a peer',
      { kind: 'session', suite: 2, seed: KEYS.xWing.seed(), createdAtMs: 1 },
      'key.peerId',
      'key.peerId is required for session keys, got undefined',
    ],
    [
      'a malformed peer id',
      { kind: 'session', suite: 2, peerId: 'Agent B', seed: KEYS.xWing.seed(), createdAtMs: 1 },
      'key.peerId',
      `key.peerId must be 1-128 characters of a-z, 0-9, '.', '_', ':' or '-' starting with a letter or digit, got "Agent B"`,
    ],
    [
      'a peer on a prekey',
      {
        kind: 'one-time-prekey',
        suite: 2,
        peerId: 'agent-b',
        seed: KEYS.xWing.seed(),
        createdAtMs: 1,
      },
      'key.peerId',
      'key.peerId is only for session and channel keys',
    ],
    [
      'a negative creation time',
      { kind: 'identity', seed: KEYS.identity.seed(), createdAtMs: -1 },
      'key.createdAtMs',
      'key.createdAtMs must be a non-negative safe integer (ms since the epoch), got -1',
    ],
    [
      'a fractional expiry',
      { kind: 'identity', seed: KEYS.identity.seed(), createdAtMs: 1, expiresAtMs: 1.5 },
      'key.expiresAtMs',
      'key.expiresAtMs must be a non-negative safe integer (ms since the epoch), got 1.5',
    ],
    [
      'a short identity seed',
      { kind: 'identity', seed: new Uint8Array(32).fill(1), createdAtMs: 1 },
      'key.seed',
      'key.seed must be a Uint8Array of 64 bytes for identity keys, got 32 bytes',
    ],
    [
      'an ML-KEM-sized seed for X-Wing',
      {
        kind: 'session',
        suite: 2,
        peerId: 'agent-b',
        seed: new Uint8Array(64).fill(1),
        createdAtMs: 1,
      },
      'key.seed',
      'key.seed must be a Uint8Array of 32 bytes for suite 2 session keys, got 64 bytes',
    ],
    [
      'a seed that is not bytes',
      { kind: 'identity', seed: Array.from({ length: 64 }, () => 1), createdAtMs: 1 },
      'key.seed',
      'key.seed must be a Uint8Array of 64 bytes for identity keys, got Array',
    ],
  ];

  it.each(invalid)('rejects %s, storing nothing', async (_case, key, field, message) => {
    const error = await store.put(key as unknown as NewKey).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(InvalidArgumentError);
    expect(error).toMatchObject({ message, field });
    expect(await store.list()).toEqual([]);
    if (key.seed instanceof Uint8Array) expect(isZero(key.seed)).toBe(false);
  });

  it('refuses a key id it already holds, leaving the second buffer to the caller', async () => {
    await store.put({ kind: 'identity', seed: KEYS.identity.seed(), createdAtMs: 1 });
    const second = KEYS.identity.seed();
    const error = await store
      .put({ kind: 'identity', seed: second, createdAtMs: 2 })
      .catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(AlreadyExistsError);
    expect(error).toMatchObject({
      message: `key ${KEYS.identity.keyId} is already in the key store`,
      metadata: { keyId: KEYS.identity.keyId },
    });
    expect(isZero(second)).toBe(false);
    expect((await store.get(KEYS.identity.keyId))?.createdAtMs).toBe(1);
  });

  it('refuses a seed buffer it already holds for another key', async () => {
    const seed = KEYS.identity.seed();
    await store.put({ kind: 'identity', seed, createdAtMs: 1 });
    const error = await store
      .put({ kind: 'signed-prekey', suite: 1, seed, createdAtMs: 2 })
      .catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(InvalidArgumentError);
    expect(error).toMatchObject({
      message: `key.seed is the buffer the store already holds for key ${KEYS.identity.keyId}; pass a copy (seed.slice())`,
      field: 'key.seed',
    });
    const copy = await store.put({
      kind: 'signed-prekey',
      suite: 1,
      seed: seed.slice(),
      createdAtMs: 2,
    });
    expect(copy.keyId).not.toBe(KEYS.identity.keyId);
    expect(isZero(seed)).toBe(false);
  });

  it('reports unknown keys', async () => {
    const unknown = 'AAAAAAAAAAAAAAAAAAAAAA';
    const message = `key ${unknown} is not in the key store`;
    expect(await store.get(unknown)).toBeUndefined();
    for (const attempt of [
      store.loadSigner(unknown),
      store.loadKemKeyPair(unknown),
      store.setExpiry(unknown, 5),
    ]) {
      const error = await attempt.catch((caught: unknown) => caught);
      expect(error).toBeInstanceOf(KeyUnknownError);
      expect(error).toMatchObject({
        message,
        code: 9,
        field: 'keyId',
        metadata: { keyId: unknown },
      });
    }
    expect(await store.delete(unknown)).toBe(false);
  });

  it('loads each key only as what it is', async () => {
    await store.put({ kind: 'identity', seed: KEYS.identity.seed(), createdAtMs: 1 });
    await store.put({
      kind: 'session',
      suite: 2,
      peerId: 'agent-b',
      seed: KEYS.xWing.seed(),
      createdAtMs: 1,
    });
    const asSigner = await store.loadSigner(KEYS.xWing.keyId).catch((caught: unknown) => caught);
    expect(asSigner).toBeInstanceOf(InvalidArgumentError);
    expect(asSigner).toHaveProperty(
      'message',
      `key ${KEYS.xWing.keyId} is a session key, not an identity key; load it with loadKemKeyPair`,
    );
    await expect(store.loadKemKeyPair(KEYS.identity.keyId)).rejects.toThrow(
      `key ${KEYS.identity.keyId} is an identity key, not a KEM key; load it with loadSigner`,
    );
  });

  it('holds channel member and sender keys, each loaded only as what it is', async () => {
    const member = await store.put({
      kind: 'channel-member',
      suite: 2,
      peerId: 'news.eu',
      seed: KEYS.xWing.seed(),
      createdAtMs: 5,
    });
    expect(member).toEqual({
      keyId: KEYS.xWing.keyId,
      kind: 'channel-member',
      suite: 2,
      peerId: 'news.eu',
      createdAtMs: 5,
    });
    const secret = new Uint8Array(32).fill(42);
    const sender = await store.put({
      kind: 'channel-sender',
      peerId: 'news.eu',
      seed: secret.slice(),
      createdAtMs: 6,
    });
    expect(sender.keyId).toBe(senderKeyFingerprint(provider, secret));
    expect(await store.loadSenderKey(sender.keyId)).toEqual({ keyId: sender.keyId, key: secret });
    expect((await store.loadKemKeyPair(member.keyId)).keyId).toBe(member.keyId);
    await expect(store.loadSenderKey(member.keyId)).rejects.toThrow(
      `key ${member.keyId} is a channel-member key, not a channel-sender key`,
    );
    await expect(store.loadKemKeyPair(sender.keyId)).rejects.toThrow(
      `key ${sender.keyId} is a channel-sender key, not a KEM key; load it with loadSenderKey`,
    );
    expect((await store.list({ peerId: 'news.eu' })).map((r) => r.kind)).toEqual([
      'channel-member',
      'channel-sender',
    ]);
    await expect(
      store.put({
        kind: 'channel-sender',
        suite: 2,
        peerId: 'x',
        seed: secret.slice(),
        createdAtMs: 1,
      }),
    ).rejects.toThrow('key.suite is only for KEM keys; leave it out for channel-sender keys');
    await expect(
      store.put({ kind: 'channel-member', suite: 2, seed: KEYS.xWing.seed(), createdAtMs: 1 }),
    ).rejects.toThrow(
      'key.peerId (the channel id) is required for channel-member keys, got undefined',
    );
    await expect(
      store.put({ kind: 'channel-sender', peerId: 'x', seed: new Uint8Array(31), createdAtMs: 1 }),
    ).rejects.toThrow(
      'key.seed must be a Uint8Array of 32 bytes for channel-sender keys, got 31 bytes',
    );
  });

  it('sets and clears expiry', async () => {
    await store.put({
      kind: 'session',
      suite: 2,
      peerId: 'agent-b',
      seed: KEYS.xWing.seed(),
      createdAtMs: 1,
    });
    const expiring = await store.setExpiry(KEYS.xWing.keyId, 5_000);
    expect(expiring).toEqual({
      keyId: KEYS.xWing.keyId,
      kind: 'session',
      suite: 2,
      peerId: 'agent-b',
      createdAtMs: 1,
      expiresAtMs: 5_000,
    });
    expect(await store.get(KEYS.xWing.keyId)).toEqual(expiring);
    const cleared = await store.setExpiry(KEYS.xWing.keyId, undefined);
    expect(cleared).toEqual({
      keyId: KEYS.xWing.keyId,
      kind: 'session',
      suite: 2,
      peerId: 'agent-b',
      createdAtMs: 1,
    });
    expect('expiresAtMs' in cleared).toBe(false);
    const error = await store.setExpiry(KEYS.xWing.keyId, -5).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(InvalidArgumentError);
    expect(error).toMatchObject({
      message: 'expiresAtMs must be a non-negative safe integer (ms since the epoch), got -5',
      field: 'expiresAtMs',
    });
    expect((await store.get(KEYS.xWing.keyId))?.expiresAtMs).toBeUndefined();
  });

  it('delete forgets the key and zeroizes its seed', async () => {
    const seed = KEYS.identity.seed();
    await store.put({ kind: 'identity', seed, createdAtMs: 1 });
    expect(await store.delete(KEYS.identity.keyId)).toBe(true);
    expect(isZero(seed)).toBe(true);
    expect(await store.get(KEYS.identity.keyId)).toBeUndefined();
    expect(await store.delete(KEYS.identity.keyId)).toBe(false);
  });

  it('deleteExpired removes keys at or past their expiry and zeroizes their seeds', async () => {
    const seeds = {
      a: KEYS.xWing.seed(),
      b: KEYS.xWing2.seed(),
      c: KEYS.xWing3.seed(),
      d: KEYS.identity.seed(),
    };
    await store.put({
      kind: 'session',
      suite: 2,
      peerId: 'agent-b',
      seed: seeds.a,
      createdAtMs: 1,
      expiresAtMs: 100,
    });
    await store.put({
      kind: 'session',
      suite: 2,
      peerId: 'agent-b',
      seed: seeds.b,
      createdAtMs: 2,
      expiresAtMs: 200,
    });
    await store.put({
      kind: 'one-time-prekey',
      suite: 2,
      seed: seeds.c,
      createdAtMs: 3,
      expiresAtMs: 200,
    });
    await store.put({ kind: 'identity', seed: seeds.d, createdAtMs: 4 });

    expect(await store.deleteExpired(99)).toEqual([]);
    expect(await store.deleteExpired(100)).toEqual([KEYS.xWing.keyId]);
    expect(isZero(seeds.a)).toBe(true);
    expect(isZero(seeds.b) || isZero(seeds.c) || isZero(seeds.d)).toBe(false);

    expect(await store.deleteExpired(250)).toEqual([KEYS.xWing3.keyId, KEYS.xWing2.keyId]);
    expect(isZero(seeds.b) && isZero(seeds.c)).toBe(true);
    expect(isZero(seeds.d)).toBe(false);
    expect((await store.list()).map((record) => record.keyId)).toEqual([KEYS.identity.keyId]);
    expect(await store.deleteExpired(Number.MAX_SAFE_INTEGER)).toEqual([]);

    await expect(store.deleteExpired(-1)).rejects.toThrow(
      'nowMs must be a non-negative safe integer (ms since the epoch), got -1',
    );
  });

  it('runs concurrent calls one at a time without losing any', async () => {
    const records = await Promise.all(
      Array.from({ length: 12 }, (_, i) =>
        store.generate({ kind: 'one-time-prekey', suite: 2, createdAtMs: i }),
      ),
    );
    expect(new Set(records.map((record) => record.keyId)).size).toBe(12);
    expect((await store.list()).map((record) => record.createdAtMs)).toEqual(
      Array.from({ length: 12 }, (_, i) => i),
    );
  });

  it('close zeroizes every seed and refuses later calls', async () => {
    const seed = KEYS.identity.seed();
    await store.put({ kind: 'identity', seed, createdAtMs: 1 });
    await store.close();
    expect(isZero(seed)).toBe(true);
    const error = await store.get(KEYS.identity.keyId).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(KeyStoreClosedError);
    expect(error).toMatchObject({ message: adapter.closedMessage, code: 9 });
    await expect(store.generate({ kind: 'identity', createdAtMs: 1 })).rejects.toThrow(
      adapter.closedMessage,
    );
    await expect(store.close()).resolves.toBeUndefined();
  });

  it('never shows a seed in records, the store or errors', async () => {
    const seed = provider.randomBytes(64);
    const hex = toHex(seed);
    const base64 = Buffer.from(seed).toString('base64');
    const base64url = Buffer.from(seed).toString('base64url');
    const record = await store.put({ kind: 'identity', seed, createdAtMs: 1 });
    const duplicate = await store
      .put({ kind: 'identity', seed: seed.slice(), createdAtMs: 1 })
      .catch((caught: unknown) => caught);
    const shown = [
      inspect(record, { showHidden: true, depth: Number.POSITIVE_INFINITY }),
      JSON.stringify(record),
      JSON.stringify(await store.list()),
      inspect(store, { showHidden: true, depth: Number.POSITIVE_INFINITY }),
      String(store),
      JSON.stringify(store),
      inspect(duplicate, { showHidden: true, depth: Number.POSITIVE_INFINITY }),
    ].join('\n');
    for (const encoding of [hex, base64, base64url]) expect(shown).not.toContain(encoding);
    expect(shown).not.toContain(`${seed[0]}, ${seed[1]}, ${seed[2]}, ${seed[3]}`);
  });
});
