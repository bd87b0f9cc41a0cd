/**
 * Forward secrecy through the key store, end to end: an envelope sealed to a session key opens with
 * that key from the store; once a rotation supersedes the key and its grace period ends,
 * `deleteExpired` removes it from memory and disk, and after a restart (a fresh FileKeyStore read
 * from disk) nothing the agent holds opens the envelope any more.
 */
import { join } from 'node:path';
import { CompositeSigner, defaultProvider, utf8 } from '@proof-messenger/crypto';
import { DecryptionError, KeyUnknownError } from '@proof-messenger/errors';
import { openEnvelope, sealEnvelope } from '@proof-messenger/protocol';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { FileKeyStore } from '../src/index.ts';
import { FAST_SCRYPT, PASSPHRASE, tempDir } from './key-store-fixtures.ts';

const provider = defaultProvider();
const T0 = Date.UTC(2025, 0, 1);
const GRACE_MS = 7 * 24 * 3600 * 1000;

let path: string;
let cleanup: () => Promise<void>;

beforeEach(async () => {
  const temp = await tempDir();
  path = join(temp.dir, 'agent-a.keys');
  cleanup = temp.cleanup;
});

afterEach(() => cleanup());

it('an envelope to an expired, deleted session key cannot be opened after a restart', async () => {
  const sender = CompositeSigner.fromSeed(provider, new Uint8Array(64).fill(11));
  const store = await FileKeyStore.create(path, {
    passphrase: PASSPHRASE,
    scrypt: FAST_SCRYPT,
    provider,
  });
  const old = await store.generate({
    kind: 'session',
    suite: 2,
    peerId: 'agent-b',
    createdAtMs: T0,
  });
  const oldKey = await store.loadKemKeyPair(old.keyId);
  const envelope = await sealEnvelope(
    provider,
    sender,
    { senderId: 'agent-b', recipientId: 'agent-a', createdAtMs: T0 + 1 },
    [{ keyId: oldKey.keyId, publicKey: oldKey.publicKey }],
    utf8('the launch code is 0000'),
  );
  const opened = await openEnvelope(provider, envelope, sender.publicKey, [
    await store.loadKemKeyPair(old.keyId),
  ]);
  expect(new TextDecoder().decode(opened.content)).toBe('the launch code is 0000');

  // Rotation: a new session key; the old one may still open in-flight messages until its grace ends.
  const rotatedAt = T0 + 60_000;
  const current = await store.generate({
    kind: 'session',
    suite: 2,
    peerId: 'agent-b',
    createdAtMs: rotatedAt,
  });
  await store.setExpiry(old.keyId, rotatedAt + GRACE_MS);
  expect(await store.deleteExpired(rotatedAt + GRACE_MS - 1)).toEqual([]);
  expect(await store.deleteExpired(rotatedAt + GRACE_MS)).toEqual([old.keyId]);
  await store.close();

  // A restart: everything the agent now holds comes from disk.
  const restarted = await FileKeyStore.open(path, { passphrase: PASSPHRASE, provider });
  try {
    const held = await restarted.list({ kind: 'session', peerId: 'agent-b' });
    expect(held.map((record) => record.keyId)).toEqual([current.keyId]);
    expect(await restarted.get(old.keyId)).toBeUndefined();
    await expect(restarted.loadKemKeyPair(old.keyId)).rejects.toBeInstanceOf(KeyUnknownError);

    const everyKemKey = await Promise.all(
      (await restarted.list()).map((record) => restarted.loadKemKeyPair(record.keyId)),
    );
    const error = await openEnvelope(provider, envelope, sender.publicKey, everyKemKey).catch(
      (caught: unknown) => caught,
    );
    expect(error).toBeInstanceOf(DecryptionError);
    expect(error).toHaveProperty(
      'message',
      `envelope ${opened.header.messageId} is not encrypted to any of the given keys (it names ${old.keyId})`,
    );
  } finally {
    await restarted.close();
  }
});
