import { InvalidArgumentError } from '@proof-messenger/errors';
import { describe, expect, it } from 'vitest';
import {
  CHECKPOINT_SIGNATURE_CONTEXT,
  encodeCheckpoint,
  signCheckpoint,
  verifyCheckpointSignature,
} from '../src/index.ts';
import { auditSigner, providers } from './fixtures.ts';

const body = { treeSize: 1000, rootHash: new Uint8Array(32).fill(7), timeMs: 1_750_000_000_000 };

describe.each(providers)('signed checkpoints ($name provider)', (provider) => {
  const signer = auditSigner(provider);

  it('verifies under the audit key and under no other', async () => {
    const checkpoint = await signCheckpoint(signer, body);
    expect(checkpoint.keyId).toBe(signer.keyId);
    expect(await verifyCheckpointSignature(provider, signer.publicKey, checkpoint)).toBe(true);
    const other = auditSigner(provider, 1);
    expect(await verifyCheckpointSignature(provider, other.publicKey, checkpoint)).toBe(false);
    expect(
      await verifyCheckpointSignature(provider, other.publicKey, {
        ...checkpoint,
        keyId: other.keyId,
      }),
    ).toBe(false);
  });

  it('fails when the size, root or time is changed', async () => {
    const checkpoint = await signCheckpoint(signer, body);
    const changed = [
      { ...checkpoint, treeSize: 1001 },
      { ...checkpoint, treeSize: 999 },
      { ...checkpoint, rootHash: new Uint8Array(32).fill(8) },
      { ...checkpoint, timeMs: body.timeMs + 1 },
    ];
    for (const c of changed) {
      expect(await verifyCheckpointSignature(provider, signer.publicKey, c)).toBe(false);
    }
  });

  it('is signed under its own context: the same bytes signed for another purpose do not verify', async () => {
    const checkpoint = await signCheckpoint(signer, body);
    const elsewhere = await signer.sign(encodeCheckpoint(body), new TextEncoder().encode('other'));
    expect(
      await verifyCheckpointSignature(provider, signer.publicKey, {
        ...checkpoint,
        signature: elsewhere,
      }),
    ).toBe(false);
    expect(new TextDecoder().decode(CHECKPOINT_SIGNATURE_CONTEXT)).toBe(
      'proof-messenger/audit-checkpoint/v1',
    );
  });

  it('refuses a malformed body', async () => {
    const short = signCheckpoint(signer, { ...body, rootHash: new Uint8Array(31) });
    await expect(short).rejects.toBeInstanceOf(InvalidArgumentError);
    await expect(short).rejects.toMatchObject({
      message: 'rootHash must be 32 bytes, got 31',
      field: 'rootHash',
    });
    await expect(signCheckpoint(signer, { ...body, treeSize: -1 })).rejects.toThrow(
      'treeSize must be a non-negative safe integer, got -1',
    );
  });
});
