/**
 * Composite ML-DSA-65 + Ed25519: both components required, bound to message, context and
 * algorithm label. Every single-bit change, strip or swap must be rejected.
 */
import { describe, expect, it } from 'vitest';
import {
  type CompositeSignature,
  CompositeSigner,
  compositeMessage,
  nativeProvider,
  nobleProvider,
  utf8,
  verifyComposite,
} from '../src/index.ts';

function flipBit(bytes: Uint8Array, bit: number): Uint8Array {
  const copy = bytes.slice();
  copy[bit >>> 3] = (copy[bit >>> 3] ?? 0) ^ (1 << (bit & 7));
  return copy;
}

describe.each([nativeProvider, nobleProvider])('composite signature on $name', (provider) => {
  const signer = CompositeSigner.fromSeed(provider, new Uint8Array(64).fill(42));
  const other = CompositeSigner.fromSeed(provider, new Uint8Array(64).fill(43));
  const message = utf8('approve transfer #1234 of 10 units to agent-b');
  const context = utf8('proof-messenger/test');

  it('a fresh signature verifies', async () => {
    const signature = await signer.sign(message, context);
    expect(signature.mlDsa65.length).toBe(3309);
    expect(signature.ed25519.length).toBe(64);
    expect(await verifyComposite(provider, signer.publicKey, message, signature, context)).toBe(
      true,
    );
  });

  it('a one-bit flip anywhere in the message is rejected', async () => {
    const signature = await signer.sign(message, context);
    for (let bit = 0; bit < message.length * 8; bit += 7) {
      expect(
        await verifyComposite(
          provider,
          signer.publicKey,
          flipBit(message, bit),
          signature,
          context,
        ),
      ).toBe(false);
    }
  });

  it('a one-bit flip in either signature component is rejected', async () => {
    const signature = await signer.sign(message, context);
    for (const bit of [0, 9, 1000, 13_000, 3309 * 8 - 1]) {
      const bad = { ...signature, mlDsa65: flipBit(signature.mlDsa65, bit) };
      expect(
        await verifyComposite(provider, signer.publicKey, message, bad, context),
        `ml-dsa bit ${bit}`,
      ).toBe(false);
    }
    for (const bit of [0, 100, 255, 256, 511]) {
      const bad = { ...signature, ed25519: flipBit(signature.ed25519, bit) };
      expect(
        await verifyComposite(provider, signer.publicKey, message, bad, context),
        `ed25519 bit ${bit}`,
      ).toBe(false);
    }
  });

  it('a stripped component (empty or missing half) is rejected', async () => {
    const signature = await signer.sign(message, context);
    const empty = new Uint8Array(0);
    expect(
      await verifyComposite(
        provider,
        signer.publicKey,
        message,
        { ...signature, ed25519: empty },
        context,
      ),
    ).toBe(false);
    expect(
      await verifyComposite(
        provider,
        signer.publicKey,
        message,
        { ...signature, mlDsa65: empty },
        context,
      ),
    ).toBe(false);
  });

  it('a component swapped in from another signature or another signer is rejected', async () => {
    const first = await signer.sign(message, context);
    const otherMessage = await signer.sign(utf8('something else'), context);
    const otherSigner = await other.sign(message, context);
    const mixes: CompositeSignature[] = [
      { mlDsa65: first.mlDsa65, ed25519: otherMessage.ed25519 },
      { mlDsa65: otherMessage.mlDsa65, ed25519: first.ed25519 },
      { mlDsa65: first.mlDsa65, ed25519: otherSigner.ed25519 },
      { mlDsa65: otherSigner.mlDsa65, ed25519: first.ed25519 },
    ];
    for (const mix of mixes) {
      expect(await verifyComposite(provider, signer.publicKey, message, mix, context)).toBe(false);
    }
    // A signature by the other key does not verify under this key.
    expect(await verifyComposite(provider, signer.publicKey, message, otherSigner, context)).toBe(
      false,
    );
  });

  it('a signature does not verify under another application context', async () => {
    const signature = await signer.sign(message, context);
    expect(
      await verifyComposite(
        provider,
        signer.publicKey,
        message,
        signature,
        utf8('proof-messenger/tesT'),
      ),
    ).toBe(false);
    expect(
      await verifyComposite(provider, signer.publicKey, message, signature, new Uint8Array(0)),
    ).toBe(false);
  });

  it('components cannot be used as standalone signatures over the message', async () => {
    const signature = await signer.sign(message, context);
    const ed = provider.ed25519FromSeed(new Uint8Array(32).fill(42));
    const mlDsa = provider.mlDsa65FromSeed(new Uint8Array(32).fill(42));
    expect(await provider.ed25519Verify(ed.publicKey, message, signature.ed25519)).toBe(false);
    expect(await provider.mlDsa65Verify(mlDsa.publicKey, message, signature.mlDsa65, context)).toBe(
      false,
    );
    expect(
      await provider.mlDsa65Verify(mlDsa.publicKey, message, signature.mlDsa65, new Uint8Array(0)),
    ).toBe(false);
    // They do verify over M' (with the composite label as ML-DSA context): the construction is as documented.
    const representative = compositeMessage(provider, message, context);
    expect(await provider.ed25519Verify(ed.publicKey, representative, signature.ed25519)).toBe(
      true,
    );
    expect(
      await provider.mlDsa65Verify(
        mlDsa.publicKey,
        representative,
        signature.mlDsa65,
        utf8('COMPSIG-MLDSA65-Ed25519-SHA512'),
      ),
    ).toBe(true);
  });

  it('checks inputs at the boundary with errors that name the problem', async () => {
    expect(() => CompositeSigner.fromSeed(provider, new Uint8Array(63))).toThrow(
      'composite seed must be 64 bytes, got 63',
    );
    await expect(signer.sign('text' as unknown as Uint8Array, context)).rejects.toThrow(
      'message must be a Uint8Array, got string',
    );
    await expect(signer.sign(message, new Uint8Array(256))).rejects.toThrow(
      'context must be at most 255 bytes, got 256',
    );
  });
});
