/**
 * How services other than key-management learn agents' identity keys: a read-through cache over
 * the key-management read API (`ListKeyHistory`). It answers the two questions a verifier asks —
 * "which key was valid for this agent at this time?" (to verify an envelope as of its created-at
 * time) and "may this key act now?" (caller authentication, new messages) — and never serves an
 * answer older than `ttlMs` (default 2 s): that is the documented bound on how long a revoked or
 * rotated key can still be accepted by a service that is not key-management itself.
 *
 * Unknown agents are cached too (briefly), so a flood of lookups for a non-existent id does not
 * become a flood of RPCs. Concurrent lookups of one agent share one RPC.
 */
import {
  type CompositePublicKey,
  type CryptoProvider,
  compositePublicKey,
} from '@proof-messenger/crypto';
import {
  Code,
  KeyExpiredError,
  KeyRevokedError,
  KeyUnknownError,
  ProofMessengerError,
} from '@proof-messenger/errors';
import { KeyManagementService, type KeyRecord, KeyStatus } from '@proof-messenger/proto';
import { PromiseClient } from '@proof-messenger/rpc';

/** One identity key with the window in which it signed new messages. */
export interface DirectoryKey {
  readonly publicKey: CompositePublicKey;
  readonly status: 'current' | 'superseded' | 'revoked';
  readonly notBeforeMs: number;
  /** Null while the key is current. */
  readonly notAfterMs: number | null;
  readonly revocationReason: string;
}

/** Where the directory reads keys from; the gRPC source is the default. */
export type KeySource = (agentId: string) => Promise<readonly KeyRecord[] | undefined>;

export interface KeyDirectoryOptions {
  readonly provider: CryptoProvider;
  readonly source: KeySource;
  /** Longest an answer is reused (default 2000 ms). */
  readonly ttlMs?: number;
  readonly now?: () => number;
  /** Most agents kept (least recently fetched are dropped first; default 100,000). */
  readonly maxEntries?: number;
}

interface Entry {
  readonly fetchedAtMs: number;
  readonly keys: readonly DirectoryKey[] | undefined;
}

const STATUS: Record<number, DirectoryKey['status']> = {
  [KeyStatus.CURRENT]: 'current',
  [KeyStatus.SUPERSEDED]: 'superseded',
  [KeyStatus.REVOKED]: 'revoked',
};

/** A gRPC key source calling key-management with a service (operator) credential. */
export function grpcKeySource(
  address: string,
  credential: string,
): { source: KeySource; close(): void } {
  const client = new PromiseClient(KeyManagementService, address);
  return {
    source: async (agentId) => {
      try {
        const { keys } = await client.call(
          'listKeyHistory',
          { agentId },
          { metadata: { authorization: `Operator ${credential}` }, timeoutMs: 5000 },
        );
        return keys;
      } catch (error) {
        if (error instanceof ProofMessengerError && error.code === Code.NOT_FOUND) return undefined;
        throw error;
      }
    },
    close: () => client.close(),
  };
}

/** An instant as ISO text, or the raw number when it is outside what Date can represent. */
function instant(ms: number): string {
  const date = new Date(ms);
  return Number.isNaN(date.getTime()) ? `${ms} ms` : date.toISOString();
}

export class KeyDirectory {
  readonly #options: KeyDirectoryOptions;
  readonly #entries = new Map<string, Entry>();
  readonly #inFlight = new Map<string, Promise<Entry>>();

  constructor(options: KeyDirectoryOptions) {
    this.#options = options;
  }

  #now(): number {
    return (this.#options.now ?? Date.now)();
  }

  async #load(agentId: string): Promise<Entry> {
    const cached = this.#entries.get(agentId);
    if (cached !== undefined && this.#now() - cached.fetchedAtMs < (this.#options.ttlMs ?? 2000))
      return cached;
    let pending = this.#inFlight.get(agentId);
    if (pending === undefined) {
      pending = this.#fetch(agentId).finally(() => this.#inFlight.delete(agentId));
      this.#inFlight.set(agentId, pending);
    }
    return pending;
  }

  async #fetch(agentId: string): Promise<Entry> {
    const fetchedAtMs = this.#now();
    const records = await this.#options.source(agentId);
    const keys = records?.map((record) => this.#toKey(record));
    const entry = { fetchedAtMs, keys };
    this.#entries.delete(agentId);
    this.#entries.set(agentId, entry);
    if (this.#entries.size > (this.#options.maxEntries ?? 100_000)) {
      const oldest = this.#entries.keys().next().value;
      if (oldest !== undefined) this.#entries.delete(oldest);
    }
    return entry;
  }

  #toKey(record: KeyRecord): DirectoryKey {
    const key = record.key;
    if (key === undefined)
      throw new KeyUnknownError('key-management returned a key record without a key');
    const notAfter = Number(record.validity?.notAfterMs ?? 0n);
    return {
      publicKey: compositePublicKey(this.#options.provider, key.mlDsa65, key.ed25519),
      status: STATUS[record.status] ?? 'revoked',
      notBeforeMs: Number(record.validity?.notBeforeMs ?? 0n),
      notAfterMs: notAfter === 0 ? null : notAfter,
      revocationReason: record.revocationReason,
    };
  }

  /**
   * The key `keyId` of `agentId` if it was valid for signing at `atMs` and is not revoked.
   * @throws KeyUnknownError (agent or key unknown), KeyRevokedError, KeyExpiredError (outside its window)
   */
  async keyAt(agentId: string, keyId: string, atMs: number): Promise<DirectoryKey> {
    const { keys } = await this.#load(agentId);
    if (keys === undefined) throw new KeyUnknownError(`agent ${agentId} is not registered`);
    const key = keys.find((candidate) => candidate.publicKey.keyId === keyId);
    if (key === undefined)
      throw new KeyUnknownError(`key ${keyId} is not a registered key of ${agentId}`);
    if (key.status === 'revoked') {
      throw new KeyRevokedError(
        `key ${keyId} of ${agentId} is revoked: ${key.revocationReason || 'no reason given'}`,
      );
    }
    if (atMs < key.notBeforeMs || (key.notAfterMs !== null && atMs >= key.notAfterMs)) {
      throw new KeyExpiredError(
        `key ${keyId} of ${agentId} was not valid at ${instant(atMs)} (valid ${instant(key.notBeforeMs)} to ${key.notAfterMs === null ? 'now' : instant(key.notAfterMs)})`,
      );
    }
    return key;
  }

  /** True when `keyId` is the agent's current, unrevoked key. */
  async isKeyActive(agentId: string, keyId: string): Promise<boolean> {
    const { keys } = await this.#load(agentId);
    return keys?.some((key) => key.publicKey.keyId === keyId && key.status === 'current') ?? false;
  }

  /** True when the agent is registered and has a current (unrevoked) key. */
  async isRegistered(agentId: string): Promise<boolean> {
    const { keys } = await this.#load(agentId);
    return keys?.some((key) => key.status === 'current') ?? false;
  }

  /** Drops what is cached for an agent (e.g. on a revocation notice). */
  forget(agentId: string): void {
    this.#entries.delete(agentId);
  }
}
