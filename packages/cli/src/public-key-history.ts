/**
 * The public identity key history of one agent as a JSON file: what `agent export-public` writes
 * and `verify` reads to check proofs with no server. Each key carries its validity window and
 * status as key-management reported them at export time, and both public keys in base64.
 *
 * Trust: the file is exactly as trustworthy as the way it reached you (it is not signed). Reading
 * it recomputes every key id from the key bytes, so a key id in the file cannot name other keys.
 * A key revoked after the export still looks valid to a verifier holding the old file: export
 * again to learn revocations.
 */
import {
  type CompositePublicKey,
  compositePublicKey,
  defaultProvider,
} from '@proof-messenger/crypto';
import { type KeyRecord, KeyStatus } from '@proof-messenger/proto';

export const PUBLIC_KEY_HISTORY_FORMAT = 'proof-messenger/public-key-history/v1';

/** One identity key of the history. */
export interface PublicKeyEntry {
  readonly publicKey: CompositePublicKey;
  readonly status: 'current' | 'superseded' | 'revoked';
  readonly notBeforeMs: number;
  /** Null while open-ended. */
  readonly notAfterMs: number | null;
  readonly revocationReason: string;
}

/** An agent's identity keys, oldest first. */
export interface PublicKeyHistory {
  readonly agentId: string;
  readonly exportedAtMs: number;
  readonly keys: readonly PublicKeyEntry[];
}

const STATUS = new Map<KeyStatus, PublicKeyEntry['status']>([
  [KeyStatus.CURRENT, 'current'],
  [KeyStatus.SUPERSEDED, 'superseded'],
  [KeyStatus.REVOKED, 'revoked'],
]);

/** The history from ListKeyHistory records. */
export function historyFromRecords(
  agentId: string,
  records: readonly KeyRecord[],
  exportedAtMs: number,
): PublicKeyHistory {
  const keys = records.flatMap((record): PublicKeyEntry[] => {
    if (record.key === undefined) return [];
    const notAfter = Number(record.validity?.notAfterMs ?? 0n);
    return [
      {
        publicKey: {
          keyId: record.key.keyId,
          mlDsa65: record.key.mlDsa65,
          ed25519: record.key.ed25519,
        },
        status: STATUS.get(record.status) ?? 'revoked',
        notBeforeMs: Number(record.validity?.notBeforeMs ?? 0n),
        notAfterMs: notAfter === 0 ? null : notAfter,
        revocationReason: record.revocationReason,
      },
    ];
  });
  return { agentId, exportedAtMs, keys };
}

/** The JSON text of a history. */
export function encodePublicKeyHistory(history: PublicKeyHistory): string {
  const json = {
    format: PUBLIC_KEY_HISTORY_FORMAT,
    agentId: history.agentId,
    exportedAtMs: history.exportedAtMs,
    keys: history.keys.map((entry) => ({
      keyId: entry.publicKey.keyId,
      status: entry.status,
      notBeforeMs: entry.notBeforeMs,
      notAfterMs: entry.notAfterMs,
      revocationReason: entry.revocationReason,
      mlDsa65: Buffer.from(entry.publicKey.mlDsa65).toString('base64'),
      ed25519: Buffer.from(entry.publicKey.ed25519).toString('base64'),
    })),
  };
  return `${JSON.stringify(json, null, 2)}\n`;
}

function fail(source: string, problem: string): never {
  throw new TypeError(
    `${source} is not a public key history (${problem}); write one with \`proof-messenger agent export-public\``,
  );
}

function instant(source: string, value: unknown, name: string): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0)
    fail(source, `${name} must be a non-negative integer`);
  return value;
}

/**
 * Reads a history file's text; key ids are recomputed from the key bytes.
 * @throws TypeError naming the first problem
 */
export function decodePublicKeyHistory(source: string, text: string): PublicKeyHistory {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    fail(source, 'not JSON');
  }
  const root = json as {
    format?: unknown;
    agentId?: unknown;
    exportedAtMs?: unknown;
    keys?: unknown;
  };
  if (typeof root !== 'object' || root === null || root.format !== PUBLIC_KEY_HISTORY_FORMAT)
    fail(source, `format must be ${PUBLIC_KEY_HISTORY_FORMAT}`);
  if (typeof root.agentId !== 'string' || root.agentId === '') fail(source, 'agentId is missing');
  if (!Array.isArray(root.keys)) fail(source, 'keys must be a list');
  const provider = defaultProvider();
  const keys = root.keys.map((raw: unknown, i: number): PublicKeyEntry => {
    const entry = raw as Record<string, unknown>;
    const name = `keys[${i}]`;
    if (typeof entry !== 'object' || entry === null) fail(source, `${name} must be an object`);
    const status = entry.status;
    if (status !== 'current' && status !== 'superseded' && status !== 'revoked')
      fail(source, `${name}.status must be current, superseded or revoked`);
    if (typeof entry.mlDsa65 !== 'string' || typeof entry.ed25519 !== 'string')
      fail(source, `${name} needs mlDsa65 and ed25519 in base64`);
    let publicKey: CompositePublicKey;
    try {
      publicKey = compositePublicKey(
        provider,
        new Uint8Array(Buffer.from(entry.mlDsa65, 'base64')),
        new Uint8Array(Buffer.from(entry.ed25519, 'base64')),
      );
    } catch (error) {
      fail(source, `${name}: ${error instanceof Error ? error.message : String(error)}`);
    }
    if (entry.keyId !== publicKey.keyId)
      fail(
        source,
        `${name}.keyId ${String(entry.keyId)} is not the id of its keys (${publicKey.keyId})`,
      );
    const notAfter = entry.notAfterMs;
    return {
      publicKey,
      status,
      notBeforeMs: instant(source, entry.notBeforeMs, `${name}.notBeforeMs`),
      notAfterMs: notAfter === null ? null : instant(source, notAfter, `${name}.notAfterMs`),
      revocationReason: typeof entry.revocationReason === 'string' ? entry.revocationReason : '',
    };
  });
  return {
    agentId: root.agentId,
    exportedAtMs: instant(source, root.exportedAtMs, 'exportedAtMs'),
    keys,
  };
}
