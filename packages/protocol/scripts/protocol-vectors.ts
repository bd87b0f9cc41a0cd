/**
 * Writes docs/vectors/protocol-v1.json: test vectors for the encodings and constructions in
 * docs/protocol.md, made with this code from fixed seeds. Deterministic outputs (PAE, key ids, M',
 * Ed25519 signatures, signed bytes, digests) are recomputed and compared by
 * `test/protocol-vectors.test.ts`; randomized ones (hedged ML-DSA signatures, KEM ciphertexts) are
 * checked by verifying and decrypting them.
 *
 * Usage: pnpm vectors:protocol   (rewrites the file; commit the result)
 */
import { writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { toJson } from '@bufbuild/protobuf';
import {
  CompositeSigner,
  compositeMessage,
  KemKeyPair,
  pae,
  nativeProvider as provider,
  Suite,
  toHex,
  utf8,
} from '@proof-messenger/crypto';
import { EnvelopeSchema, Priority } from '@proof-messenger/proto';
import {
  envelopeDigest,
  envelopeSignedBytes,
  SIGNATURE_CONTEXT,
  sealEnvelope,
  signCleartextEnvelope,
} from '../src/index.ts';

function seed(length: number, start: number): Uint8Array {
  return new Uint8Array(length).map((_, i) => (start + i) & 0xff);
}

const senderSeed = seed(64, 0x10);
const sender = CompositeSigner.fromSeed(provider, senderSeed);
const recipients = [
  { suite: Suite.MLKEM768_HKDFSHA256_AES256GCM_MLDSA65ED25519, seed: seed(64, 0x40) },
  { suite: Suite.XWING_HKDFSHA256_AES256GCM_MLDSA65ED25519, seed: seed(32, 0x80) },
];

const paeCases = [
  { domain: 'proof-messenger/envelope/v1', pieces: [] as string[] },
  { domain: 'proof-messenger/envelope/v1', pieces: ['0a0b', ''] },
  { domain: 'x', pieces: ['00', '0000', 'ff'] },
].map(({ domain, pieces }) => ({
  domain,
  pieces,
  encoded: toHex(pae(domain, ...pieces.map((p) => Uint8Array.from(Buffer.from(p, 'hex'))))),
}));

const message = utf8('Proof-Messenger composite signature vector');
const signature = await sender.sign(message, SIGNATURE_CONTEXT);
const composite = {
  seed: toHex(senderSeed),
  keyId: sender.keyId,
  mlDsa65PublicKey: toHex(sender.publicKey.mlDsa65),
  ed25519PublicKey: toHex(sender.publicKey.ed25519),
  message: toHex(message),
  context: toHex(SIGNATURE_CONTEXT),
  representative: toHex(compositeMessage(provider, message, SIGNATURE_CONTEXT)),
  ed25519Signature: toHex(signature.ed25519),
  mlDsa65Signature: toHex(signature.mlDsa65),
};

const envelopes = [];
for (const { suite, seed: recipientSeed } of recipients) {
  const recipient = KemKeyPair.fromSeed(provider, suite, recipientSeed);
  const plaintext = utf8(`hello over suite ${suite}`);
  const envelope = await sealEnvelope(
    provider,
    sender,
    {
      senderId: 'agent-a',
      recipientId: 'agent-b',
      messageId: '01900000-0000-7000-8000-000000000001',
      createdAtMs: 1_750_000_000_000,
      priority: Priority.HIGH,
      ttlSeconds: 3600,
      correlationId: 'vector-1',
      contentType: 'text/plain',
      suite,
    },
    [recipient],
    plaintext,
  );
  envelopes.push({
    description: `encrypted, suite ${suite}`,
    recipientSuite: suite,
    recipientSeed: toHex(recipientSeed),
    recipientKeyId: recipient.keyId,
    envelope: toJson(EnvelopeSchema, envelope),
    signedBytes: toHex(envelopeSignedBytes(envelope.header, envelope.payload)),
    digest: toHex(envelopeDigest(provider, envelope.header, envelope.payload)),
    plaintext: toHex(plaintext),
  });
}
const cleartext = await signCleartextEnvelope(
  sender,
  {
    senderId: 'agent-a',
    recipientId: 'auditor',
    messageId: '01900000-0000-7000-8000-000000000002',
    createdAtMs: 1_750_000_000_000,
    contentType: 'text/plain',
  },
  utf8('I approve invoice 42'),
);
envelopes.push({
  description: 'signed cleartext',
  envelope: toJson(EnvelopeSchema, cleartext),
  signedBytes: toHex(envelopeSignedBytes(cleartext.header, cleartext.payload)),
  digest: toHex(envelopeDigest(provider, cleartext.header, cleartext.payload)),
  plaintext: toHex(cleartext.payload),
});

const out = resolve(import.meta.dirname, '../../../docs/vectors/protocol-v1.json');
writeFileSync(
  out,
  `${JSON.stringify({ version: 1, pae: paeCases, composite, envelopes }, null, 2)}\n`,
);
console.log(`wrote ${out}`);
