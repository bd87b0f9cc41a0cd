/** The worker verification pool gives exactly the answers of the provider it wraps. */
import { afterAll, describe, expect, it } from 'vitest';
import {
  CompositeSigner,
  type CryptoProvider,
  nativeProvider,
  utf8,
  verifyComposite,
  WorkerVerifyPool,
} from '../src/index.ts';
import { hex, loadGroups, vectorsPresent } from './wycheproof-vectors.ts';

/** Runs `body` with a provider verifying in a fresh pool of one worker, closed afterwards. */
async function withOneWorker(body: (pooled: CryptoProvider) => Promise<void>): Promise<void> {
  const one = new WorkerVerifyPool(1);
  try {
    await body(one.wrap(nativeProvider));
  } finally {
    await one.close();
  }
}

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

  it('answers every request of a large mixed batch, from copies taken at the call', async () => {
    await withOneWorker(async (onePooled) => {
      const mlDsa = nativeProvider.mlDsa65FromSeed(new Uint8Array(32).fill(7));
      const ed = nativeProvider.ed25519FromSeed(new Uint8Array(32).fill(8));
      const cases = await Promise.all(
        Array.from({ length: 60 }, async (_, i) => {
          // Messages of many lengths and contexts absent, empty or not: every offset differs.
          const message = new Uint8Array(1 + i * 97).fill(i);
          const context = i % 3 === 0 ? new Uint8Array(0) : utf8('ctx'.repeat(i % 3));
          return {
            message,
            context,
            mlDsaSignature: await nativeProvider.mlDsa65Sign(mlDsa.privateKey, message, context),
            edSignature: await nativeProvider.ed25519Sign(ed.privateKey, message),
            valid: i % 4 !== 1,
          };
        }),
      );
      const answers = cases.map(({ message, context, mlDsaSignature, edSignature, valid }) => {
        const mlDsaCopy = mlDsaSignature.slice();
        const edCopy = edSignature.slice();
        if (!valid) mlDsaCopy[10] = (mlDsaCopy[10] ?? 0) ^ 1;
        const both = Promise.all([
          onePooled.mlDsa65Verify(mlDsa.publicKey, message, mlDsaCopy, context),
          onePooled.ed25519Verify(ed.publicKey, message, edCopy),
        ]);
        // Reused by the caller at once: the pool verifies what it was given at the call.
        mlDsaCopy.fill(0);
        edCopy.fill(0);
        return both;
      });
      expect(await Promise.all(answers)).toEqual(cases.map(({ valid }) => [valid, true]));
    });
  });

  it('never takes a cached key for another key that starts with the same bytes', async () => {
    await withOneWorker(async (onePooled) => {
      const mlDsa = nativeProvider.mlDsa65FromSeed(new Uint8Array(32).fill(9));
      const message = utf8('prefix');
      const signature = await nativeProvider.mlDsa65Sign(
        mlDsa.privateKey,
        message,
        new Uint8Array(0),
      );
      // Same first 32 bytes (the worker's cache names keys by them), one byte different after.
      const lookalike = mlDsa.publicKey.slice();
      lookalike[100] = (lookalike[100] ?? 0) ^ 1;
      const verify = (key: Uint8Array) =>
        onePooled.mlDsa65Verify(key, message, signature, new Uint8Array(0));
      expect(await verify(mlDsa.publicKey)).toBe(true);
      expect(await verify(lookalike)).toBe(false);
      expect(await verify(mlDsa.publicKey)).toBe(true);
      // In one batch, one after the other.
      expect(
        await Promise.all([verify(lookalike), verify(mlDsa.publicKey), verify(lookalike)]),
      ).toEqual([false, true, false]);
    });
  });

  it('gives right answers batch after batch while the buffers go back and forth', async () => {
    await withOneWorker(async (onePooled) => {
      const ed = nativeProvider.ed25519FromSeed(new Uint8Array(32).fill(10));
      // Each round's batch is larger than the last, so buffers are both reused and outgrown;
      // a byte left over from an earlier batch in a reused buffer would fail a verification.
      for (let round = 1; round <= 12; round++) {
        const requests = await Promise.all(
          Array.from({ length: round * 8 }, async (_, i) => {
            const message = new Uint8Array(round * 700 + i).fill(round + i);
            const signature = await nativeProvider.ed25519Sign(ed.privateKey, message);
            const valid = (round + i) % 5 !== 0;
            if (!valid) signature[0] = (signature[0] ?? 0) ^ 1;
            return { message, signature, valid };
          }),
        );
        const answers = await Promise.all(
          requests.map(({ message, signature }) =>
            onePooled.ed25519Verify(ed.publicKey, message, signature),
          ),
        );
        expect(answers, `round ${round}`).toEqual(requests.map(({ valid }) => valid));
      }
    });
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
