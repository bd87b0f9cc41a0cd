/** Shared test helpers: both providers, a fixed audit key, logs of n entries with checkpoints. */
import {
  CompositeSigner,
  type CryptoProvider,
  getProvider,
  isNativeCryptoAvailable,
} from '@proof-messenger/crypto';
import {
  type AuditEntry,
  type AuditEntryInput,
  auditEntryHash,
  GENESIS_PREVIOUS_HASH,
  MemoryAuditLog,
  MerkleHasher,
  type SignedCheckpoint,
} from '../src/index.ts';

/** The providers this runtime has (native where node:crypto has ML-DSA, noble always). */
export const providers: CryptoProvider[] = isNativeCryptoAvailable()
  ? [getProvider('native'), getProvider('noble')]
  : [getProvider('noble')];

/** A deterministic audit key: seed bytes 0, 1, …, 63. */
export function auditSigner(provider: CryptoProvider, first = 0): CompositeSigner {
  return CompositeSigner.fromSeed(
    provider,
    Uint8Array.from({ length: 64 }, (_, i) => (first + i) % 256),
  );
}

/** Entry i of a synthetic log. */
export function entryInput(i: number): AuditEntryInput {
  return {
    timeMs: 1_750_000_000_000 + i,
    actor: `agent-${i % 7}`,
    action: i % 3 === 0 ? 'message.send' : 'message.ack',
    target: `agent-${(i + 1) % 7}`,
    outcome: i % 11 === 0 ? 'denied' : 'success',
    reason: i % 11 === 0 ? 'policy forbids' : '',
    details: { partition: String(i % 4), size: String(100 + i) },
    messageIds: [`msg-${i}`],
    messageHashes: [Uint8Array.from({ length: 32 }, (_, j) => (i + j) % 256)],
  };
}

/** A log of `size` entries with a signed checkpoint every `every` entries (and at the end). */
export async function buildLog(
  provider: CryptoProvider,
  size: number,
  every: number,
): Promise<{ log: MemoryAuditLog; checkpoints: SignedCheckpoint[]; signer: CompositeSigner }> {
  const signer = auditSigner(provider);
  const log = new MemoryAuditLog(new MerkleHasher(provider));
  const checkpoints: SignedCheckpoint[] = [];
  for (let i = 0; i < size; i++) {
    log.append(entryInput(i));
    if ((i + 1) % every === 0 || i + 1 === size) {
      checkpoints.push(await log.checkpoint(signer, 1_750_000_000_000 + i));
    }
  }
  return { log, checkpoints, signer };
}

/** What a forger would do after tampering: renumber and re-chain every entry. */
export function rechain(provider: CryptoProvider, entries: readonly AuditEntry[]): AuditEntry[] {
  const hasher = new MerkleHasher(provider);
  const out: AuditEntry[] = [];
  let previous = GENESIS_PREVIOUS_HASH;
  for (const [i, entry] of entries.entries()) {
    const fixed = { ...entry, sequence: i, previousHash: previous };
    previous = auditEntryHash(hasher, fixed);
    out.push(fixed);
  }
  return out;
}

/** Hex to bytes (test vectors). */
export function hex(text: string): Uint8Array {
  return Uint8Array.from(text.match(/../g) ?? [], (byte) => Number.parseInt(byte, 16));
}

/** Bytes to hex. */
export function toHexString(bytes: Uint8Array): string {
  return Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');
}
