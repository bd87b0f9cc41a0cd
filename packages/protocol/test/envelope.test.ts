/**
 * Envelopes end to end at the protocol layer: seal -> verify -> open on both providers and across
 * them, and rejection of every single-bit change to what is signed, encrypted or bound.
 */
import { create, toBinary } from '@bufbuild/protobuf';
import {
  CompositeSigner,
  type CryptoProvider,
  KemKeyPair,
  nativeProvider,
  nobleProvider,
  Suite,
  toHex,
  utf8,
} from '@proof-messenger/crypto';
import {
  ContentMode,
  type Envelope,
  EnvelopeHeaderSchema,
  EnvelopeSchema,
  Priority,
} from '@proof-messenger/proto';
import { describe, expect, it } from 'vitest';
import {
  envelopeSignedBytes,
  openEnvelope,
  parseEnvelopeHeader,
  SIGNATURE_CONTEXT,
  sealEnvelope,
  signCleartextEnvelope,
  verifyEnvelope,
} from '../src/index.ts';

function flipBit(bytes: Uint8Array, bit: number): Uint8Array {
  const copy = bytes.slice();
  copy[bit >>> 3] = (copy[bit >>> 3] ?? 0) ^ (1 << (bit & 7));
  return copy;
}

function withEnvelope(
  envelope: Envelope,
  change: Partial<Pick<Envelope, 'header' | 'payload'>>,
): Envelope {
  return create(EnvelopeSchema, {
    header: envelope.header,
    payload: envelope.payload,
    signature: envelope.signature,
    ...change,
  });
}

/** A few bit positions spread over a buffer: the first, some in the middle, the last. */
function someBits(length: number): number[] {
  const bits = length * 8;
  return [...new Set([0, 1, Math.floor(bits / 3), Math.floor(bits / 2) + 3, bits - 1])];
}

const pairs: Array<[CryptoProvider, CryptoProvider]> = [
  [nativeProvider, nativeProvider],
  [nativeProvider, nobleProvider],
  [nobleProvider, nativeProvider],
];

describe.each(pairs)('sealed by %s, opened by the other side', (sealer, opener) => {
  const sender = CompositeSigner.fromSeed(sealer, new Uint8Array(64).fill(1));
  const senderSeenByOpener = CompositeSigner.fromSeed(opener, new Uint8Array(64).fill(1)).publicKey;
  describe.each([
    Suite.MLKEM768_HKDFSHA256_AES256GCM_MLDSA65ED25519,
    Suite.XWING_HKDFSHA256_AES256GCM_MLDSA65ED25519,
  ])('suite %i', (suite) => {
    const seed = new Uint8Array(suite === 1 ? 64 : 32).fill(2);
    const recipientForSealer = KemKeyPair.fromSeed(sealer, suite, seed);
    const recipient = KemKeyPair.fromSeed(opener, suite, seed);
    const plaintext = utf8(JSON.stringify({ task: 'summarize', doc: 'q3.pdf' }));

    it('round-trips content and every header field', async () => {
      const envelope = await sealEnvelope(
        sealer,
        sender,
        {
          senderId: 'agent-a',
          recipientId: 'agent-b',
          priority: Priority.HIGH,
          ttlSeconds: 60,
          correlationId: 'req-1',
          contentType: 'application/json',
          suite,
        },
        [recipientForSealer],
        plaintext,
      );
      const opened = await openEnvelope(opener, envelope, senderSeenByOpener, [recipient]);
      expect(new TextDecoder().decode(opened.content)).toBe(new TextDecoder().decode(plaintext));
      expect(opened.header).toMatchObject({
        senderId: 'agent-a',
        destination: { case: 'recipientId', value: 'agent-b' },
        priority: Priority.HIGH,
        ttlSeconds: 60,
        correlationId: 'req-1',
        contentType: 'application/json',
        suite,
        contentMode: ContentMode.ENCRYPTED,
        senderKeyId: sender.keyId,
      });
      expect(opened.digest.length).toBe(32);
    });
  });
});

describe.each([nativeProvider, nobleProvider])('tampering is rejected on %s', (provider) => {
  const sender = CompositeSigner.fromSeed(provider, new Uint8Array(64).fill(3));
  const other = CompositeSigner.fromSeed(provider, new Uint8Array(64).fill(4));
  const recipient = KemKeyPair.fromSeed(
    provider,
    Suite.XWING_HKDFSHA256_AES256GCM_MLDSA65ED25519,
    new Uint8Array(32).fill(5),
  );
  const fields = { senderId: 'agent-a', recipientId: 'agent-b' };
  const plaintext = new Uint8Array(1024).fill(7);

  it('a one-bit flip anywhere in the signed header or payload is rejected', async () => {
    const envelope = await sealEnvelope(provider, sender, fields, [recipient], plaintext);
    let checked = 0;
    for (const bit of someBits(envelope.header.length)) {
      const bad = withEnvelope(envelope, { header: flipBit(envelope.header, bit) });
      await expect(
        openEnvelope(provider, bad, sender.publicKey, [recipient]),
        `header bit ${bit}`,
      ).rejects.toThrow();
      checked++;
    }
    for (const bit of someBits(envelope.payload.length)) {
      const bad = withEnvelope(envelope, { payload: flipBit(envelope.payload, bit) });
      await expect(
        openEnvelope(provider, bad, sender.publicKey, [recipient]),
        `payload bit ${bit}`,
      ).rejects.toThrow('envelope signature does not verify');
      checked++;
    }
    expect(checked).toBeGreaterThanOrEqual(8);
  });

  it('a flip in the KEM ciphertext, nonce or tag is caught by the signature first', async () => {
    const envelope = await sealEnvelope(provider, sender, fields, [recipient], plaintext);
    const header = parseEnvelopeHeader(envelope.header);
    const entry = header.recipients[0];
    if (entry === undefined) throw new Error('no recipient');
    entry.kemCiphertext = flipBit(entry.kemCiphertext, 100);
    const kemFlipped = withEnvelope(envelope, { header: toBinary(EnvelopeHeaderSchema, header) });
    await expect(openEnvelope(provider, kemFlipped, sender.publicKey, [recipient])).rejects.toThrow(
      'envelope signature does not verify',
    );
    const nonceHeader = parseEnvelopeHeader(envelope.header);
    nonceHeader.nonce = flipBit(nonceHeader.nonce, 5);
    await expect(
      openEnvelope(
        provider,
        withEnvelope(envelope, { header: toBinary(EnvelopeHeaderSchema, nonceHeader) }),
        sender.publicKey,
        [recipient],
      ),
    ).rejects.toThrow('envelope signature does not verify');
    const tagBit = envelope.payload.length * 8 - 3;
    await expect(
      openEnvelope(
        provider,
        withEnvelope(envelope, { payload: flipBit(envelope.payload, tagBit) }),
        sender.publicKey,
        [recipient],
      ),
    ).rejects.toThrow('envelope signature does not verify');
  });

  it('a sender re-signing tampered bytes still cannot change what the recipient decrypts', async () => {
    // The attacker here is the sender itself (or anyone with its key): the AEAD still binds the
    // header, so a re-signed envelope with a changed header fails decryption.
    const envelope = await sealEnvelope(provider, sender, fields, [recipient], plaintext);
    const header = parseEnvelopeHeader(envelope.header);
    header.priority = Priority.CRITICAL;
    const headerBytes = toBinary(EnvelopeHeaderSchema, header);
    const signature = await sender.sign(
      envelopeSignedBytes(headerBytes, envelope.payload),
      SIGNATURE_CONTEXT,
    );
    const resigned = create(EnvelopeSchema, {
      header: headerBytes,
      payload: envelope.payload,
      signature: { keyId: sender.keyId, ...signature },
    });
    await expect(verifyEnvelope(provider, resigned, sender.publicKey)).resolves.toBeDefined();
    await expect(openEnvelope(provider, resigned, sender.publicKey, [recipient])).rejects.toThrow(
      'AES-256-GCM authentication failed',
    );
  });

  it('stripped or swapped signatures are rejected', async () => {
    const envelope = await sealEnvelope(provider, sender, fields, [recipient], plaintext);
    const forged = await sealEnvelope(provider, other, fields, [recipient], plaintext);
    const signature = envelope.signature;
    const otherSignature = forged.signature;
    if (signature === undefined || otherSignature === undefined) throw new Error('unsigned');
    const variants: Array<[string, Envelope, string]> = [
      [
        'no signature',
        create(EnvelopeSchema, { header: envelope.header, payload: envelope.payload }),
        'envelope.signature is required',
      ],
      [
        'Ed25519 stripped',
        create(EnvelopeSchema, {
          header: envelope.header,
          payload: envelope.payload,
          signature: { ...signature, ed25519: new Uint8Array(0) },
        }),
        'must carry both components',
      ],
      [
        'ML-DSA stripped',
        create(EnvelopeSchema, {
          header: envelope.header,
          payload: envelope.payload,
          signature: { ...signature, mlDsa65: new Uint8Array(0) },
        }),
        'must carry both components',
      ],
      [
        'ML-DSA from another signer',
        create(EnvelopeSchema, {
          header: envelope.header,
          payload: envelope.payload,
          signature: { ...signature, mlDsa65: otherSignature.mlDsa65 },
        }),
        'envelope signature does not verify',
      ],
      [
        'Ed25519 from another envelope',
        create(EnvelopeSchema, {
          header: envelope.header,
          payload: envelope.payload,
          signature: { ...signature, ed25519: otherSignature.ed25519 },
        }),
        'envelope signature does not verify',
      ],
    ];
    for (const [name, variant, message] of variants) {
      await expect(verifyEnvelope(provider, variant, sender.publicKey), name).rejects.toThrow(
        message,
      );
    }
  });

  it('an envelope opens only for a listed recipient key', async () => {
    const envelope = await sealEnvelope(provider, sender, fields, [recipient], plaintext);
    const stranger = KemKeyPair.fromSeed(
      provider,
      Suite.XWING_HKDFSHA256_AES256GCM_MLDSA65ED25519,
      new Uint8Array(32).fill(9),
    );
    await expect(openEnvelope(provider, envelope, sender.publicKey, [stranger])).rejects.toThrow(
      /is not encrypted to any of the given keys/,
    );
  });

  it('signed cleartext is readable, verifiable and tamper-evident', async () => {
    const content = utf8('I approve invoice 42 for 1,000 EUR');
    const envelope = await signCleartextEnvelope(
      sender,
      { senderId: 'agent-a', recipientId: 'auditor' },
      content,
    );
    expect(toHex(envelope.payload)).toBe(toHex(content));
    const opened = await openEnvelope(provider, envelope, sender.publicKey, []);
    expect(new TextDecoder().decode(opened.content)).toBe('I approve invoice 42 for 1,000 EUR');
    expect(opened.header.contentMode).toBe(ContentMode.SIGNED_CLEARTEXT);
    const changed = withEnvelope(envelope, { payload: utf8('I approve invoice 42 for 9,000 EUR') });
    await expect(verifyEnvelope(provider, changed, sender.publicKey)).rejects.toThrow(
      'envelope signature does not verify',
    );
  });

  it('the wrong sender key is refused before any signature work', async () => {
    const envelope = await sealEnvelope(provider, sender, fields, [recipient], plaintext);
    await expect(verifyEnvelope(provider, envelope, other.publicKey)).rejects.toThrow(
      `envelope was signed with key ${sender.keyId}, not with the given key ${other.keyId}`,
    );
  });
});
