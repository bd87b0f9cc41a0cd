/**
 * Checks docs/vectors/protocol-v1.json (written by scripts/protocol-vectors.ts) against this code
 * on both providers: deterministic values must match byte for byte, randomized ones must verify
 * and decrypt. A change to any encoding in docs/protocol.md fails here.
 */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { fromJson, type JsonValue } from '@bufbuild/protobuf';
import {
  CompositeSigner,
  compositeMessage,
  fromHex,
  KemKeyPair,
  nativeProvider,
  nobleProvider,
  pae,
  toHex,
  verifyComposite,
} from '@proof-messenger/crypto';
import { EnvelopeSchema } from '@proof-messenger/proto';
import { describe, expect, it } from 'vitest';
import { envelopeDigest, envelopeSignedBytes, openEnvelope } from '../src/index.ts';

interface Vectors {
  pae: Array<{ domain: string; pieces: string[]; encoded: string }>;
  composite: Record<string, string>;
  envelopes: Array<{
    description: string;
    recipientSuite?: number;
    recipientSeed?: string;
    recipientKeyId?: string;
    envelope: JsonValue;
    signedBytes: string;
    digest: string;
    plaintext: string;
  }>;
}

const vectors = JSON.parse(
  readFileSync(resolve(import.meta.dirname, '../../../docs/vectors/protocol-v1.json'), 'utf8'),
) as Vectors;

function field(record: Record<string, string>, name: string): string {
  const value = record[name];
  if (value === undefined) throw new Error(`vector field ${name} missing`);
  return value;
}

describe.each([nativeProvider, nobleProvider])('protocol vectors on $name', (provider) => {
  it('PAE encodings match', () => {
    expect(vectors.pae.length).toBeGreaterThan(0);
    for (const vector of vectors.pae) {
      expect(toHex(pae(vector.domain, ...vector.pieces.map(fromHex)))).toBe(vector.encoded);
    }
  });

  it("composite key, M' and Ed25519 signature are reproduced; the ML-DSA signature verifies", async () => {
    const c = vectors.composite;
    const signer = CompositeSigner.fromSeed(provider, fromHex(field(c, 'seed')));
    expect(signer.keyId).toBe(field(c, 'keyId'));
    expect(toHex(signer.publicKey.mlDsa65)).toBe(field(c, 'mlDsa65PublicKey'));
    expect(toHex(signer.publicKey.ed25519)).toBe(field(c, 'ed25519PublicKey'));
    const message = fromHex(field(c, 'message'));
    const context = fromHex(field(c, 'context'));
    expect(toHex(compositeMessage(provider, message, context))).toBe(field(c, 'representative'));
    expect(toHex((await signer.sign(message, context)).ed25519)).toBe(field(c, 'ed25519Signature'));
    const signature = {
      mlDsa65: fromHex(field(c, 'mlDsa65Signature')),
      ed25519: fromHex(field(c, 'ed25519Signature')),
    };
    expect(await verifyComposite(provider, signer.publicKey, message, signature, context)).toBe(
      true,
    );
  });

  it('envelopes: signed bytes and digests match, signatures verify, content decrypts', async () => {
    const sender = CompositeSigner.fromSeed(provider, fromHex(field(vectors.composite, 'seed')));
    expect(vectors.envelopes.length).toBe(3);
    for (const vector of vectors.envelopes) {
      const envelope = fromJson(EnvelopeSchema, vector.envelope);
      expect(
        toHex(envelopeSignedBytes(envelope.header, envelope.payload)),
        vector.description,
      ).toBe(vector.signedBytes);
      expect(
        toHex(envelopeDigest(provider, envelope.header, envelope.payload)),
        vector.description,
      ).toBe(vector.digest);
      const keys =
        vector.recipientSuite === undefined || vector.recipientSeed === undefined
          ? []
          : [KemKeyPair.fromSeed(provider, vector.recipientSuite, fromHex(vector.recipientSeed))];
      if (vector.recipientKeyId !== undefined) expect(keys[0]?.keyId).toBe(vector.recipientKeyId);
      const opened = await openEnvelope(provider, envelope, sender.publicKey, keys);
      expect(toHex(opened.content), vector.description).toBe(vector.plaintext);
    }
  });
});
