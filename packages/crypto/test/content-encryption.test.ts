/**
 * Content encryption to one or many recipients: each recipient opens it, nobody else does, and
 * any change to the KEM ciphertext, wrapped key, nonce, ciphertext, tag or associated data fails.
 */
import { describe, expect, it } from 'vitest';
import {
  decryptContent,
  encryptContent,
  KemKeyPair,
  nativeProvider,
  nobleProvider,
  Suite,
  toHex,
  unwrapContentKey,
  utf8,
  wrapContentKey,
} from '../src/index.ts';

function flipBit(bytes: Uint8Array, bit: number): Uint8Array {
  const copy = bytes.slice();
  copy[bit >>> 3] = (copy[bit >>> 3] ?? 0) ^ (1 << (bit & 7));
  return copy;
}

const suites = [
  ['ML-KEM-768', Suite.MLKEM768_HKDFSHA256_AES256GCM_MLDSA65ED25519],
  ['X-Wing', Suite.XWING_HKDFSHA256_AES256GCM_MLDSA65ED25519],
] as const;

describe.each([nativeProvider, nobleProvider])('content encryption on $name', (provider) => {
  describe.each(suites)('%s', (_name, suite) => {
    const alice = KemKeyPair.generate(provider, suite).keyPair;
    const bob = KemKeyPair.generate(provider, suite).keyPair;
    const eve = KemKeyPair.generate(provider, suite).keyPair;
    const plaintext = utf8('the quarterly numbers, for your eyes only');
    const aad = utf8('header bytes');

    async function seal() {
      const bundle = await wrapContentKey(provider, suite, [alice, bob]);
      const sealed = encryptContent(provider, bundle.contentKey, bundle.nonce, plaintext, aad);
      return { bundle, sealed };
    }

    it('every recipient opens the content encrypted once', async () => {
      const { bundle, sealed } = await seal();
      expect(bundle.recipients.map((entry) => entry.keyId)).toEqual([alice.keyId, bob.keyId]);
      for (const [index, keyPair] of [alice, bob].entries()) {
        const entry = bundle.recipients[index];
        if (entry === undefined) throw new Error('missing entry');
        const key = await unwrapContentKey(provider, keyPair, entry);
        expect(toHex(decryptContent(provider, key, bundle.nonce, sealed, aad))).toBe(
          toHex(plaintext),
        );
      }
    });

    it('a non-recipient cannot unwrap, even by relabelling an entry with its key id', async () => {
      const { bundle } = await seal();
      const entry = bundle.recipients[0];
      if (entry === undefined) throw new Error('missing entry');
      await expect(unwrapContentKey(provider, eve, entry)).rejects.toThrow(
        /wrapped key is for key/,
      );
      await expect(unwrapContentKey(provider, eve, { ...entry, keyId: eve.keyId })).rejects.toThrow(
        'AES-256-GCM authentication failed',
      );
    });

    it('an entry moved to another recipient key id fails', async () => {
      const { bundle } = await seal();
      const [first, second] = bundle.recipients;
      if (first === undefined || second === undefined) throw new Error('missing entry');
      await expect(unwrapContentKey(provider, bob, { ...first, keyId: bob.keyId })).rejects.toThrow(
        'AES-256-GCM authentication failed',
      );
    });

    it('a one-bit flip in the KEM ciphertext or wrapped key fails', async () => {
      const { bundle } = await seal();
      const entry = bundle.recipients[0];
      if (entry === undefined) throw new Error('missing entry');
      for (const bit of [0, 500, entry.kemCiphertext.length * 8 - 1]) {
        await expect(
          unwrapContentKey(provider, alice, {
            ...entry,
            kemCiphertext: flipBit(entry.kemCiphertext, bit),
          }),
          `kem bit ${bit}`,
        ).rejects.toThrow();
      }
      for (const bit of [0, 200, 383]) {
        await expect(
          unwrapContentKey(provider, alice, {
            ...entry,
            wrappedKey: flipBit(entry.wrappedKey, bit),
          }),
          `wrap bit ${bit}`,
        ).rejects.toThrow('AES-256-GCM authentication failed');
      }
    });

    it('a one-bit flip in the nonce, ciphertext, tag or associated data fails', async () => {
      const { bundle, sealed } = await seal();
      const entry = bundle.recipients[0];
      if (entry === undefined) throw new Error('missing entry');
      const key = await unwrapContentKey(provider, alice, entry);
      const open = (nonce: Uint8Array, body: Uint8Array, data: Uint8Array) => () =>
        decryptContent(provider, key, nonce, body, data);
      for (const bit of [0, 50, 95]) {
        expect(open(flipBit(bundle.nonce, bit), sealed, aad)).toThrow(
          'AES-256-GCM authentication failed',
        );
      }
      const tagStart = (sealed.length - 16) * 8;
      for (const bit of [0, 77, tagStart - 1, tagStart, tagStart + 100, sealed.length * 8 - 1]) {
        expect(open(bundle.nonce, flipBit(sealed, bit), aad)).toThrow(
          'AES-256-GCM authentication failed',
        );
      }
      for (const bit of [0, 33, aad.length * 8 - 1]) {
        expect(open(bundle.nonce, sealed, flipBit(aad, bit))).toThrow(
          'AES-256-GCM authentication failed',
        );
      }
    });
  });

  it('refuses wrong sizes and unknown suites with clear errors', async () => {
    await expect(wrapContentKey(provider, 1, [])).rejects.toThrow(
      'an encrypted message needs 1 to 1024 recipient keys, got 0',
    );
    await expect(wrapContentKey(provider, 9, [])).rejects.toThrow('suite 9 is not supported');
    await expect(
      wrapContentKey(provider, 1, [{ keyId: 'k', publicKey: new Uint8Array(1183) }]),
    ).rejects.toThrow('KEM public key must be 1184 bytes, got 1183');
    expect(() =>
      encryptContent(
        provider,
        new Uint8Array(16),
        new Uint8Array(12),
        new Uint8Array(1),
        new Uint8Array(0),
      ),
    ).toThrow('content key must be 32 bytes, got 16');
    expect(() =>
      encryptContent(
        provider,
        new Uint8Array(32),
        new Uint8Array(8),
        new Uint8Array(1),
        new Uint8Array(0),
      ),
    ).toThrow('nonce must be 12 bytes, got 8');
  });
});
