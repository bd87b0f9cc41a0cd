/**
 * What `npm start` runs until the embedded platform lands (issue 5): two agents, in one process,
 * exchange an end-to-end encrypted, hybrid-signed envelope through the protocol core, each step
 * printed with its timing. No services are involved yet; this shows the cryptographic core working
 * on this machine's runtime.
 */
import {
  CompositeSigner,
  defaultProvider,
  KemKeyPair,
  Suite,
  toHex,
  utf8,
} from '@proof-messenger/crypto';
import {
  openEnvelope,
  parseEnvelopeHeader,
  sealEnvelope,
  signCleartextEnvelope,
  verifyEnvelope,
} from '../src/index.ts';

const provider = defaultProvider();

async function step<T>(label: string, work: () => Promise<T> | T): Promise<T> {
  const start = performance.now();
  const result = await work();
  console.log(`  ${label.padEnd(58)} ${(performance.now() - start).toFixed(2).padStart(8)} ms`);
  return result;
}

console.log(
  `Proof-Messenger protocol demo (node ${process.version}, OpenSSL ${process.versions.openssl}, ${provider.name} crypto)\n`,
);
const alice = await step(
  'alice: new identity key (ML-DSA-65 + Ed25519)',
  () => CompositeSigner.generate(provider).signer,
);
const bob = await step(
  'bob: new identity key (ML-DSA-65 + Ed25519)',
  () => CompositeSigner.generate(provider).signer,
);
const bobPrekey = await step(
  'bob: new X-Wing prekey (X25519 + ML-KEM-768)',
  () => KemKeyPair.generate(provider, Suite.XWING_HKDFSHA256_AES256GCM_MLDSA65ED25519).keyPair,
);
const question = utf8(JSON.stringify({ ask: 'summarize q3.pdf', deadline: '17:00' }));
const envelope = await step('alice: encrypt to bob and sign (seal)', () =>
  sealEnvelope(
    provider,
    alice,
    { senderId: 'alice', recipientId: 'bob', correlationId: 'demo-1' },
    [bobPrekey],
    question,
  ),
);
const verified = await step("server's view: verify both signatures, read metadata", () =>
  verifyEnvelope(provider, envelope, alice.publicKey),
);
const opened = await step('bob: verify and decrypt (open)', () =>
  openEnvelope(provider, envelope, alice.publicKey, [bobPrekey]),
);
const receipt = await step('bob: signed-cleartext reply alice can show to an auditor', () =>
  signCleartextEnvelope(
    bob,
    { senderId: 'bob', recipientId: 'alice', correlationId: 'demo-1' },
    utf8('done: 3 bullet points sent'),
  ),
);
await step('alice: verify the reply', () => verifyEnvelope(provider, receipt, bob.publicKey));

const header = parseEnvelopeHeader(envelope.header);
console.log(`
  message ${header.messageId} from ${header.senderId} to ${header.destination.value}
  envelope: ${envelope.header.length} header bytes + ${envelope.payload.length} payload bytes + ${(envelope.signature?.mlDsa65.length ?? 0) + (envelope.signature?.ed25519.length ?? 0)} signature bytes
  digest:   ${toHex(verified.digest)}
  bob read: ${new TextDecoder().decode(opened.content)}
  reply:    ${new TextDecoder().decode(receipt.payload)} (signed by ${bob.keyId})
`);
console.log(
  'The services, SDK and embedded platform that carry this between processes arrive with issues 3-5.',
);
