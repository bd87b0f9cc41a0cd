/**
 * Custody of the audit key, the composite ML-DSA-65 + Ed25519 key (CompositeSigner of
 * @proof-messenger/crypto) that signs checkpoints.
 *
 * - Embedded platform: `loadOrCreateAuditKey(<data>/audit-key.json)` creates the key on first
 *   start, in a file of mode 0600 inside the data folder (as auth's local secrets are), and loads
 *   it afterwards.
 * - Distributed: every instance that signs checkpoints must use the SAME key, or verifiers would
 *   see checkpoints under several keys. The operator creates it once (`createAuditKeyFile`, or
 *   `pm audit key create`) and mounts the file on every instance (a Kubernetes secret volume),
 *   pointing PM_AUDIT_KEY_FILE at it; `auditKeyFromConfig` then only reads it and never creates
 *   one, so a missing mount fails loudly instead of forking the key. Instances without the
 *   variable append and serve proofs but sign nothing.
 *
 * The file holds the 64-byte composite seed (base64url) and, for operators, the key id:
 *   {"format":"proof-messenger/audit-key/v1","keyId":"…","seed":"…"}
 * Key material is never logged or put in an error message; a file readable by group or others
 * is refused. Verifiers get the public key out of band as `encodeAuditPublicKey` bytes.
 */
import { mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import {
  COMPOSITE_SIZES,
  type CompositePublicKey,
  CompositeSigner,
  type CryptoProvider,
  compositePublicKey,
  concatBytes,
  defaultProvider,
  zeroize,
} from '@proof-messenger/crypto';
import { AlreadyExistsError, InvalidArgumentError, NotFoundError } from '@proof-messenger/errors';

const FORMAT = 'proof-messenger/audit-key/v1';

/** The file name of the embedded platform's audit key inside its data folder. */
export const AUDIT_KEY_FILE_NAME = 'audit-key.json';

/** Bytes of an encoded audit public key: ML-DSA-65 public key then Ed25519 public key. */
export const AUDIT_PUBLIC_KEY_SIZE =
  COMPOSITE_SIZES.mlDsa65PublicKey + COMPOSITE_SIZES.ed25519PublicKey;

function errnoOf(error: unknown): string | undefined {
  return (error as NodeJS.ErrnoException).code;
}

function signerFromFile(path: string, text: string, provider: CryptoProvider): CompositeSigner {
  const malformed = () =>
    new InvalidArgumentError(
      `${path} is not an audit key file (expected ${FORMAT} JSON with a 64-byte seed)`,
      { field: 'PM_AUDIT_KEY_FILE' },
    );
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw malformed();
  }
  const seedText =
    typeof parsed === 'object' && parsed !== null && Reflect.get(parsed, 'format') === FORMAT
      ? Reflect.get(parsed, 'seed')
      : undefined;
  if (typeof seedText !== 'string' || !/^[A-Za-z0-9_-]{86}$/.test(seedText)) throw malformed();
  const seed = new Uint8Array(Buffer.from(seedText, 'base64url'));
  try {
    if (seed.length !== COMPOSITE_SIZES.seed) throw malformed();
    return CompositeSigner.fromSeed(provider, seed);
  } finally {
    zeroize(seed);
  }
}

function keyFileText(signer: CompositeSigner, seed: Uint8Array): string {
  return `${JSON.stringify({ format: FORMAT, keyId: signer.keyId, seed: Buffer.from(seed).toString('base64url') })}\n`;
}

function checkPermissions(path: string): void {
  if (process.platform === 'win32') return;
  const mode = statSync(path).mode & 0o777;
  if ((mode & 0o077) !== 0) {
    throw new InvalidArgumentError(
      `the audit key file ${path} is readable by others (mode ${mode.toString(8).padStart(4, '0')}); run chmod 600 ${path}`,
      { field: 'PM_AUDIT_KEY_FILE' },
    );
  }
}

/**
 * Reads the audit key at `path`; never creates one.
 * @throws NotFoundError when there is no file at `path`
 * @throws InvalidArgumentError when the file is not an audit key or group/others may read it
 */
export function readAuditKey(
  path: string,
  provider: CryptoProvider = defaultProvider(),
): CompositeSigner {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    if (errnoOf(error) !== 'ENOENT') throw error;
    throw new NotFoundError(
      `no audit key at ${path}; create it once with createAuditKeyFile and give every instance the same file`,
      { field: 'PM_AUDIT_KEY_FILE' },
    );
  }
  checkPermissions(path);
  return signerFromFile(path, text, provider);
}

/**
 * Creates a new random audit key in a new file at `path` (mode 0600, directories 0700).
 * @throws AlreadyExistsError when a file is already there (an existing key is never replaced)
 */
export function createAuditKeyFile(
  path: string,
  provider: CryptoProvider = defaultProvider(),
): CompositeSigner {
  mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
  const { signer, seed } = CompositeSigner.generate(provider);
  try {
    // 'wx': fails if the file exists, so two processes racing never both win.
    writeFileSync(path, keyFileText(signer, seed), { mode: 0o600, flag: 'wx' });
  } catch (error) {
    if (errnoOf(error) !== 'EEXIST') throw error;
    throw new AlreadyExistsError(`an audit key already exists at ${path}; it is never replaced`, {
      field: 'PM_AUDIT_KEY_FILE',
    });
  } finally {
    zeroize(seed);
  }
  return signer;
}

/**
 * The embedded platform's audit key at `path`: read if present, else created (mode 0600). When
 * two processes create it at once, both end up with the one that was written first.
 * @throws InvalidArgumentError as readAuditKey
 */
export function loadOrCreateAuditKey(
  path: string,
  provider: CryptoProvider = defaultProvider(),
): CompositeSigner {
  try {
    return readAuditKey(path, provider);
  } catch (error) {
    if (!(error instanceof NotFoundError)) throw error;
  }
  try {
    return createAuditKeyFile(path, provider);
  } catch (error) {
    if (!(error instanceof AlreadyExistsError)) throw error;
    return readAuditKey(path, provider);
  }
}

/** Where auditKeyFromConfig looks. */
export interface AuditKeyConfigOptions {
  /** The embedded platform's data folder: without PM_AUDIT_KEY_FILE the key lives (is created) here. */
  readonly dataDir?: string;
  readonly provider?: CryptoProvider;
}

/**
 * The audit key from configuration: PM_AUDIT_KEY_FILE names an existing key file (distributed
 * mode: the same file on every instance; never created here); without it, `dataDir` holds the
 * embedded platform's key (created on first use); with neither, undefined (this instance signs
 * no checkpoints).
 * @throws NotFoundError when PM_AUDIT_KEY_FILE names no file
 * @throws InvalidArgumentError when the file is not an audit key or others may read it
 */
export function auditKeyFromConfig(
  env: Readonly<Record<string, string | undefined>>,
  options: AuditKeyConfigOptions = {},
): CompositeSigner | undefined {
  const provider = options.provider ?? defaultProvider();
  const configured = env.PM_AUDIT_KEY_FILE?.trim();
  if (configured) return readAuditKey(configured, provider);
  if (options.dataDir === undefined) return undefined;
  return loadOrCreateAuditKey(join(options.dataDir, AUDIT_KEY_FILE_NAME), provider);
}

/** The audit public key as bytes for verifiers: ML-DSA-65 public key || Ed25519 public key. */
export function encodeAuditPublicKey(publicKey: CompositePublicKey): Uint8Array {
  return concatBytes(publicKey.mlDsa65, publicKey.ed25519);
}

/**
 * The audit public key (with its key id) from encodeAuditPublicKey bytes.
 * @throws InvalidArgumentError when `bytes` is not a Uint8Array of AUDIT_PUBLIC_KEY_SIZE bytes
 */
export function decodeAuditPublicKey(
  bytes: Uint8Array,
  provider: CryptoProvider = defaultProvider(),
): CompositePublicKey {
  if (!(bytes instanceof Uint8Array) || bytes.length !== AUDIT_PUBLIC_KEY_SIZE) {
    throw new InvalidArgumentError(
      `an audit public key is ${AUDIT_PUBLIC_KEY_SIZE} bytes (ML-DSA-65 then Ed25519)`,
      { field: 'publicKey' },
    );
  }
  const split = COMPOSITE_SIZES.mlDsa65PublicKey;
  return compositePublicKey(provider, bytes.slice(0, split), bytes.slice(split));
}
