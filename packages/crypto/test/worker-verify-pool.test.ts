/** The worker verification pool gives exactly the answers of the provider it wraps. */
import { afterAll, describe, expect, it } from 'vitest';
import {
  CompositeSigner,
  nativeProvider,
  utf8,
  verifyComposite,
  WorkerVerifyPool,
} from '../src/index.ts';
import { hex, loadGroups, vectorsPresent } from './wycheproof-vectors.ts';

describe('WorkerVerifyPool', () => {
  const pool = new WorkerVerifyPool(2);
  const pooled = pool.wrap(nativeProvider);
  afterAll(() => pool.close());

  it('accepts valid composite signatures and rejects altered ones', async () => {
    const signer = CompositeSigner.fromSeed(nativeProvider, new Uint8Array(64).fill(5));
    const message = utf8('pooled');
    const context = utf8('ctx');
    const signature = await signer.sign(message, context);
    const results = await Promise.all(
      Array.from({ length: 40 }, (_, i) =>
        verifyComposite(
          pooled,
          signer.publicKey,
          i % 2 === 0 ? message : utf8('other'),
          signature,
          context,
        ),
      ),
    );
    expect(results).toEqual(Array.from({ length: 40 }, (_, i) => i % 2 === 0));
    expect(await pooled.ed25519Verify(new Uint8Array(31), message, new Uint8Array(64))).toBe(false);
  });

  it('reads inputs that are views into larger buffers (as bytes decoded from a message are)', async () => {
    const signer = CompositeSigner.fromSeed(nativeProvider, new Uint8Array(64).fill(6));
    const message = utf8('framed');
    const context = utf8('ctx');
    const signature = await signer.sign(message, context);
    const inFrame = (bytes: Uint8Array) => {
      const frame = new Uint8Array(bytes.length + 64 * 1024).fill(0xab);
      frame.set(bytes, 1000);
      return frame.subarray(1000, 1000 + bytes.length);
    };
    const key = {
      ...signer.publicKey,
      mlDsa65: inFrame(signer.publicKey.mlDsa65),
      ed25519: inFrame(signer.publicKey.ed25519),
    };
    const framed = { mlDsa65: inFrame(signature.mlDsa65), ed25519: inFrame(signature.ed25519) };
    expect(await verifyComposite(pooled, key, inFrame(message), framed, inFrame(context))).toBe(
      true,
    );
    expect(await verifyComposite(pooled, key, inFrame(utf8('other')), framed, context)).toBe(false);
    expect(
      await pooled.mlDsa65Verify(key.mlDsa65, message, framed.mlDsa65, new Uint8Array(0)),
    ).toBe(false); // another context
  });

  it.runIf(vectorsPresent)('agrees with the Wycheproof ML-DSA-65 verify vectors', async () => {
    let checked = 0;
    for (const group of loadGroups('mldsa_65_verify_test.json')) {
      const publicKey = hex(group.publicKey);
      const answers = await Promise.all(
        group.tests.map((test) =>
          pooled.mlDsa65Verify(publicKey, hex(test.msg), hex(test.sig), hex(test.ctx)),
        ),
      );
      group.tests.forEach((test, i) => {
        expect(answers[i], `tcId ${test.tcId}`).toBe(test.result === 'valid');
        checked++;
      });
    }
    expect(checked).toBe(210);
  });

  it('refuses work after close', async () => {
    const other = new WorkerVerifyPool(1);
    await other.close();
    await expect(
      other.verify({
        algorithm: 'ed25519',
        publicKey: new Uint8Array(32),
        message: new Uint8Array(0),
        signature: new Uint8Array(64),
      }),
    ).rejects.toThrow('the verification pool is closed');
  });
});
