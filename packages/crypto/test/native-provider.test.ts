/** What only the node:crypto provider has: its cache of parsed public keys. */
import { describe, expect, it } from 'vitest';
import { nativeProvider, utf8 } from '../src/index.ts';

function keysFrom(fill: number) {
  const seed = new Uint8Array(32).fill(fill);
  return { mlDsa: nativeProvider.mlDsa65FromSeed(seed), ed: nativeProvider.ed25519FromSeed(seed) };
}

describe('nativeProvider public key cache', () => {
  it('is keyed by the bytes: an array reused for another key verifies under the new key', async () => {
    const alice = keysFrom(1);
    const bob = keysFrom(2);
    const message = utf8('cached');
    const context = utf8('ctx');
    const mlDsaSignature = await nativeProvider.mlDsa65Sign(
      alice.mlDsa.privateKey,
      message,
      context,
    );
    const edSignature = await nativeProvider.ed25519Sign(alice.ed.privateKey, message);

    const mlDsaKey = new Uint8Array(alice.mlDsa.publicKey);
    expect(await nativeProvider.mlDsa65Verify(mlDsaKey, message, mlDsaSignature, context)).toBe(
      true,
    );
    mlDsaKey.set(bob.mlDsa.publicKey);
    expect(await nativeProvider.mlDsa65Verify(mlDsaKey, message, mlDsaSignature, context)).toBe(
      false,
    );

    const edKey = new Uint8Array(alice.ed.publicKey);
    expect(await nativeProvider.ed25519Verify(edKey, message, edSignature)).toBe(true);
    edKey.set(bob.ed.publicKey);
    expect(await nativeProvider.ed25519Verify(edKey, message, edSignature)).toBe(false);
  });

  it('reads a key that is a view into a larger buffer', async () => {
    const { mlDsa } = keysFrom(3);
    const message = utf8('view');
    const context = utf8('ctx');
    const signature = await nativeProvider.mlDsa65Sign(mlDsa.privateKey, message, context);
    const backing = new Uint8Array(mlDsa.publicKey.length + 17).fill(0xee);
    backing.set(mlDsa.publicKey, 9);
    const view = backing.subarray(9, 9 + mlDsa.publicKey.length);
    expect(await nativeProvider.mlDsa65Verify(view, message, signature, context)).toBe(true);
    expect(
      await nativeProvider.mlDsa65Verify(
        backing.subarray(8, 8 + view.length),
        message,
        signature,
        context,
      ),
    ).toBe(false);
  });
});
