/**
 * The native and noble providers must be interchangeable: identical keys from identical seeds,
 * and everything one makes the other accepts, in both directions, for every primitive.
 */
import { XWing } from '@noble/post-quantum/hybrid.js';
import { describe, expect, it } from 'vitest';
import {
  type CryptoProvider,
  KemKeyPair,
  nativeProvider,
  nobleProvider,
  Suite,
  toHex,
  unwrapContentKey,
  wrapContentKey,
  xWingEncapsulate,
  xWingFromSeed,
} from '../src/index.ts';

const directions: Array<[CryptoProvider, CryptoProvider]> = [
  [nativeProvider, nobleProvider],
  [nobleProvider, nativeProvider],
];

function seed(length: number, fill: number): Uint8Array {
  return new Uint8Array(length).map((_, i) => (i * 31 + fill) & 0xff);
}

describe('same seeds give the same public keys on both providers', () => {
  it.each([
    ['Ed25519', (p: CryptoProvider) => p.ed25519FromSeed(seed(32, 1)).publicKey],
    ['ML-DSA-65', (p: CryptoProvider) => p.mlDsa65FromSeed(seed(32, 2)).publicKey],
    ['ML-KEM-768', (p: CryptoProvider) => p.mlKem768FromSeed(seed(64, 3)).publicKey],
    ['X25519', (p: CryptoProvider) => p.x25519FromSeed(seed(32, 4)).publicKey],
    ['X-Wing', (p: CryptoProvider) => xWingFromSeed(p, seed(32, 5)).publicKey],
  ])('%s', (_name, derive) => {
    expect(toHex(derive(nativeProvider))).toBe(toHex(derive(nobleProvider)));
  });

  it('X-Wing public key equals the @noble/post-quantum reference', () => {
    expect(toHex(xWingFromSeed(nativeProvider, seed(32, 6)).publicKey)).toBe(
      toHex(XWing.keygen(seed(32, 6)).publicKey),
    );
  });
});

describe.each(directions)('made by %s, accepted by the other', (maker, checker) => {
  const label = `${maker.name} -> ${checker.name}`;
  const message = new TextEncoder().encode(`interop ${label}`);

  it('Ed25519 signatures are byte-identical and verify', async () => {
    const a = maker.ed25519FromSeed(seed(32, 7));
    const b = checker.ed25519FromSeed(seed(32, 7));
    const signature = await maker.ed25519Sign(a.privateKey, message);
    expect(toHex(signature)).toBe(toHex(await checker.ed25519Sign(b.privateKey, message)));
    expect(await checker.ed25519Verify(a.publicKey, message, signature)).toBe(true);
  });

  it('ML-DSA-65 signatures with a context verify, and not under another context', async () => {
    const pair = maker.mlDsa65FromSeed(seed(32, 8));
    const context = new TextEncoder().encode('ctx');
    const signature = await maker.mlDsa65Sign(pair.privateKey, message, context);
    expect(signature.length).toBe(3309);
    expect(await checker.mlDsa65Verify(pair.publicKey, message, signature, context)).toBe(true);
    expect(await checker.mlDsa65Verify(pair.publicKey, message, signature, new Uint8Array(0))).toBe(
      false,
    );
  });

  it('ML-KEM-768 encapsulation decapsulates to the same secret', async () => {
    const receiver = checker.mlKem768FromSeed(seed(64, 9));
    const { sharedSecret, ciphertext } = await maker.mlKem768Encapsulate(receiver.publicKey);
    expect(toHex(await checker.mlKem768Decapsulate(receiver.privateKey, ciphertext))).toBe(
      toHex(sharedSecret),
    );
  });

  it('X25519 agrees', () => {
    const alice = maker.x25519FromSeed(seed(32, 10));
    const bob = checker.x25519FromSeed(seed(32, 11));
    expect(toHex(maker.x25519(alice.privateKey, bob.publicKey))).toBe(
      toHex(checker.x25519(bob.privateKey, alice.publicKey)),
    );
  });

  it('X-Wing encapsulation decapsulates to the same secret', async () => {
    for (const suite of [
      Suite.XWING_HKDFSHA256_AES256GCM_MLDSA65ED25519,
      Suite.MLKEM768_HKDFSHA256_AES256GCM_MLDSA65ED25519,
    ]) {
      const receiver = KemKeyPair.fromSeed(checker, suite, seed(suite === 2 ? 32 : 64, 12));
      const bundle = await wrapContentKey(maker, suite, [receiver]);
      const entry = bundle.recipients[0];
      if (entry === undefined) throw new Error('no recipient entry');
      expect(toHex(await unwrapContentKey(checker, receiver, entry))).toBe(
        toHex(bundle.contentKey),
      );
    }
  });

  it('AES-256-GCM ciphertexts are byte-identical and open', () => {
    const key = seed(32, 13);
    const nonce = seed(12, 14);
    const aad = seed(20, 15);
    const sealed = maker.aes256GcmEncrypt(key, nonce, message, aad);
    expect(toHex(sealed)).toBe(toHex(checker.aes256GcmEncrypt(key, nonce, message, aad)));
    expect(toHex(checker.aes256GcmDecrypt(key, nonce, sealed, aad))).toBe(toHex(message));
  });

  it('hashes and HKDF agree', () => {
    expect(toHex(maker.sha256(message))).toBe(toHex(checker.sha256(message)));
    expect(toHex(maker.sha512(message))).toBe(toHex(checker.sha512(message)));
    expect(toHex(maker.sha3_256(message))).toBe(toHex(checker.sha3_256(message)));
    expect(toHex(maker.shake256(message, 96))).toBe(toHex(checker.shake256(message, 96)));
    expect(toHex(maker.hkdfSha256(message, seed(16, 1), seed(8, 2), 42))).toBe(
      toHex(checker.hkdfSha256(message, seed(16, 1), seed(8, 2), 42)),
    );
  });
});

describe('X-Wing interoperates with the @noble/post-quantum reference', () => {
  it.each([nativeProvider, nobleProvider])(
    '$name decapsulates reference ciphertexts, and the reverse',
    async (provider) => {
      const receiverSeed = seed(32, 16);
      const ours = KemKeyPair.fromSeed(
        provider,
        Suite.XWING_HKDFSHA256_AES256GCM_MLDSA65ED25519,
        receiverSeed,
      );
      const reference = XWing.encapsulate(ours.publicKey);
      expect(toHex(await ours.decapsulate(reference.cipherText))).toBe(
        toHex(reference.sharedSecret),
      );

      const { ciphertext, sharedSecret } = await xWingEncapsulate(provider, ours.publicKey);
      expect(toHex(XWing.decapsulate(ciphertext, receiverSeed))).toBe(toHex(sharedSecret));
    },
  );
});
