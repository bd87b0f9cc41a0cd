/** Audit key custody: created once (mode 0600), reloaded identical, config rules, public key bytes. */
import { chmodSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { defaultProvider } from '@proof-messenger/crypto';
import { AlreadyExistsError, InvalidArgumentError, NotFoundError } from '@proof-messenger/errors';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  AUDIT_PUBLIC_KEY_SIZE,
  auditKeyFromConfig,
  createAuditKeyFile,
  decodeAuditPublicKey,
  encodeAuditPublicKey,
  loadOrCreateAuditKey,
  readAuditKey,
  signCheckpoint,
  verifyCheckpointSignature,
} from '../src/index.ts';

const provider = defaultProvider();

function thrown(fn: () => unknown): Error {
  try {
    fn();
  } catch (error) {
    return error as Error;
  }
  throw new Error('expected a throw');
}

describe('audit key', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'pm-audit-key-'));
  });
  afterEach(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  it('is created once with mode 0600 and reloads as the same key', async () => {
    const path = join(dir, 'data', 'audit-key.json');
    const created = loadOrCreateAuditKey(path, provider);
    expect(statSync(path).mode & 0o777).toBe(0o600);
    expect(statSync(join(dir, 'data')).mode & 0o777).toBe(0o700);
    const text = readFileSync(path, 'utf8');
    expect(JSON.parse(text)).toMatchObject({
      format: 'proof-messenger/audit-key/v1',
      keyId: created.keyId,
    });
    const reloaded = loadOrCreateAuditKey(path, provider);
    expect(reloaded.publicKey).toEqual(created.publicKey);
    expect(readFileSync(path, 'utf8')).toBe(text); // not rewritten
    // A checkpoint the reloaded key signs verifies under the first key's public key.
    const signed = await signCheckpoint(reloaded, {
      treeSize: 1,
      rootHash: new Uint8Array(32),
      timeMs: 1,
    });
    expect(await verifyCheckpointSignature(provider, created.publicKey, signed)).toBe(true);
  });

  it('refuses a missing, exposed, malformed or existing key file with what to do', () => {
    const path = join(dir, 'audit-key.json');
    let error = thrown(() => readAuditKey(path, provider));
    expect(error).toBeInstanceOf(NotFoundError);
    expect(error.message).toBe(
      `no audit key at ${path}; create it once with createAuditKeyFile and give every instance the same file`,
    );
    createAuditKeyFile(path, provider);
    error = thrown(() => createAuditKeyFile(path, provider));
    expect(error).toBeInstanceOf(AlreadyExistsError);
    expect(error.message).toBe(`an audit key already exists at ${path}; it is never replaced`);
    chmodSync(path, 0o644);
    error = thrown(() => readAuditKey(path, provider));
    expect(error).toBeInstanceOf(InvalidArgumentError);
    expect(error.message).toBe(
      `the audit key file ${path} is readable by others (mode 0644); run chmod 600 ${path}`,
    );
    const bad = join(dir, 'bad.json');
    for (const content of [
      'not json',
      '{"format":"other","seed":"x"}',
      '{"format":"proof-messenger/audit-key/v1","seed":"AAAA"}',
    ]) {
      writeFileSync(bad, content, { mode: 0o600 });
      error = thrown(() => readAuditKey(bad, provider));
      expect(error).toBeInstanceOf(InvalidArgumentError);
      expect(error.message).toBe(
        `${bad} is not an audit key file (expected proof-messenger/audit-key/v1 JSON with a 64-byte seed)`,
      );
    }
  });

  it('comes from PM_AUDIT_KEY_FILE (never created), else the data folder, else none', () => {
    const shared = join(dir, 'shared', 'audit-key.json');
    const error = thrown(() => auditKeyFromConfig({ PM_AUDIT_KEY_FILE: shared }, { dataDir: dir }));
    expect(error).toBeInstanceOf(NotFoundError);
    const made = createAuditKeyFile(shared, provider);
    const a = auditKeyFromConfig({ PM_AUDIT_KEY_FILE: shared }, { provider });
    const b = auditKeyFromConfig({ PM_AUDIT_KEY_FILE: ` ${shared} ` }, { dataDir: dir, provider });
    expect(a?.publicKey).toEqual(made.publicKey);
    expect(b?.publicKey).toEqual(made.publicKey);

    const embedded = auditKeyFromConfig({}, { dataDir: join(dir, 'data'), provider });
    expect(statSync(join(dir, 'data', 'audit-key.json')).mode & 0o777).toBe(0o600);
    expect(
      auditKeyFromConfig({ PM_AUDIT_KEY_FILE: '' }, { dataDir: join(dir, 'data') })?.keyId,
    ).toBe(embedded?.keyId);
    expect(auditKeyFromConfig({})).toBeUndefined();
  });

  it('exports the public key as bytes a verifier decodes to the same key', () => {
    const signer = loadOrCreateAuditKey(join(dir, 'k.json'), provider);
    const bytes = encodeAuditPublicKey(signer.publicKey);
    expect(bytes).toHaveLength(AUDIT_PUBLIC_KEY_SIZE);
    expect(decodeAuditPublicKey(bytes, provider)).toEqual(signer.publicKey);
    const error = thrown(() => decodeAuditPublicKey(bytes.subarray(1), provider));
    expect(error).toBeInstanceOf(InvalidArgumentError);
    expect(error.message).toBe('an audit public key is 1984 bytes (ML-DSA-65 then Ed25519)');
  });
});
