/**
 * A key store in one local file, encrypted at rest, for agents running on Node.js.
 *
 * - Encryption: the whole key list is sealed with AES-256-GCM (through the crypto provider) under a
 *   file key derived from a passphrase (scrypt, parameters and salt in the header) or from a
 *   supplied 32-byte key (HKDF-SHA-256). Every write uses a fresh random nonce; the header is bound
 *   as associated data. Layout: `internal/key-store-file.ts`.
 * - Durability: every mutation rewrites the file atomically (temp file 0600, fsync, rename, fsync
 *   the directory) before it resolves and before memory changes, so memory never runs ahead of disk.
 * - Ownership: one key store file belongs to one agent process. `<file>.lock` (pid inside) is held
 *   while the store is open; a second open fails with KeyStoreLockedError; a stale lock is taken
 *   over. Within the process, operations run one at a time (an async mutex).
 * - Forward secrecy: `deleteExpired` and `delete` rewrite the file without the keys and zeroize
 *   their seeds. Caveat: rename frees the old file's blocks without overwriting them, and SSDs keep
 *   old copies; those stay encrypted under the file key, so someone who later learns the
 *   passphrase and recovers freed blocks could read deleted keys. Use full-disk encryption too.
 *
 * The KeyStore methods themselves are shared with MemoryKeyStore (`internal/ring-key-store.ts`);
 * this module adds the file: create/open, the lock, the header and file key, and `persist`. Read
 * operations are answered from memory (the file is read once, at open).
 */
import { readFile, stat } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { type CryptoProvider, defaultProvider, zeroize } from '@proof-messenger/crypto';
import { AlreadyExistsError, InvalidArgumentError, NotFoundError } from '@proof-messenger/errors';
import { deriveFileKey } from './internal/derive-file-key.ts';
import { errorCode } from './internal/error-code.ts';
import { decodeKeyEntries, encodeKeyEntries } from './internal/key-entries-codec.ts';
import { type KeyEntry, KeyRing } from './internal/key-ring.ts';
import {
  sealKeyStoreFile,
  splitKeyStoreFile,
  unsealKeyStoreFile,
} from './internal/key-store-file.ts';
import { encodeHeader, type KeyStoreHeader, SALT_BYTES } from './internal/key-store-header.ts';
import { LockFile } from './internal/lock-file.ts';
import { RingKeyStore } from './internal/ring-key-store.ts';
import { removeStrayTempFiles, writeFileAtomic } from './internal/write-file-atomic.ts';
import { KeyStoreClosedError } from './key-store-errors.ts';
import { checkKeyStoreSecret, type KeyStoreSecret } from './key-store-secret.ts';
import { DEFAULT_SCRYPT_PARAMS, type ScryptParams, scryptParamsProblem } from './scrypt-params.ts';

/** How to open an existing key store file: its secret, and optionally the crypto provider. */
export type FileKeyStoreOpenOptions = KeyStoreSecret & {
  /** Seals the file, derives keys and key ids, generates seeds. Default: `defaultProvider()`. */
  readonly provider?: CryptoProvider;
};

/** How to create a key store file: as for open, plus the scrypt cost for a passphrase. */
export type FileKeyStoreCreateOptions = FileKeyStoreOpenOptions & {
  /** Overrides of DEFAULT_SCRYPT_PARAMS (passphrase only). Lower them only in tests. */
  readonly scrypt?: Partial<ScryptParams>;
};

/** A new secret for `FileKeyStore.changeSecret`, with the scrypt cost for a passphrase. */
export type ChangeSecretOptions = KeyStoreSecret & { readonly scrypt?: Partial<ScryptParams> };

interface Unlocked {
  readonly headerBytes: Uint8Array;
  readonly fileKey: Uint8Array;
}

/** A KeyStore in one encrypted local file (Node.js). Create or open it; close it when done. */
export class FileKeyStore extends RingKeyStore {
  /** The absolute path of the key store file. */
  readonly path: string;
  readonly #provider: CryptoProvider;
  /** The ring the base class serves from; `changeSecret` rewrites all of it under a new key. */
  readonly #ring: KeyRing;
  readonly #lock: LockFile;
  #unlocked: Unlocked;

  private constructor(
    path: string,
    provider: CryptoProvider,
    ring: KeyRing,
    lock: LockFile,
    unlocked: Unlocked,
  ) {
    super(ring);
    this.path = path;
    this.#provider = provider;
    this.#ring = ring;
    this.#lock = lock;
    this.#unlocked = unlocked;
  }

  /**
   * Creates a new, empty key store file (mode 0600) and opens it. The directory must exist.
   * @throws InvalidArgumentError on a bad secret or scrypt parameters, AlreadyExistsError when the
   *   file exists, NotFoundError when the directory does not, KeyStoreLockedError when another
   *   process holds the lock
   */
  static async create(path: string, options: FileKeyStoreCreateOptions): Promise<FileKeyStore> {
    const absolute = resolve(path);
    const secret = checkKeyStoreSecret(options);
    const provider = options.provider ?? defaultProvider();
    const header = newHeader(provider, secret, options.scrypt);
    await requireDirectory(absolute);
    const lock = await LockFile.acquire(absolute);
    let fileKey: Uint8Array | undefined;
    try {
      if (await exists(absolute)) {
        throw new AlreadyExistsError(
          `key store file ${absolute} already exists; open it with FileKeyStore.open(path, options)`,
          { field: 'path', metadata: { path: absolute } },
        );
      }
      await removeStrayTempFiles(absolute);
      fileKey = await deriveFileKey(provider, secret, header);
      const unlocked = { headerBytes: encodeHeader(header), fileKey };
      await writeSealed(provider, absolute, unlocked, []);
      return new FileKeyStore(absolute, provider, new KeyRing(provider), lock, unlocked);
    } catch (error) {
      zeroize(fileKey);
      await lock.release();
      throw error;
    }
  }

  /**
   * Opens an existing key store file: locks it, removes temp files a crash left behind, derives
   * the file key, decrypts and loads every key. Nothing is loaded unless all of it checks out.
   * @throws NotFoundError when the file does not exist, KeyStoreUnlockError when the secret is wrong
   *   or the file was modified, KeyStoreFormatError when it is damaged or of a newer format,
   *   InvalidArgumentError on a bad secret or one of the wrong kind, KeyStoreLockedError when
   *   another process holds the lock
   */
  static async open(path: string, options: FileKeyStoreOpenOptions): Promise<FileKeyStore> {
    const absolute = resolve(path);
    const secret = checkKeyStoreSecret(options);
    const provider = options.provider ?? defaultProvider();
    if (!(await exists(absolute))) throw missing(absolute);
    const lock = await LockFile.acquire(absolute);
    let fileKey: Uint8Array | undefined;
    try {
      await removeStrayTempFiles(absolute);
      const parts = splitKeyStoreFile(absolute, await readStoreFile(absolute));
      checkSecretKind(absolute, parts.header, secret);
      fileKey = await deriveFileKey(provider, secret, parts.header);
      const content = unsealKeyStoreFile(provider, absolute, fileKey, parts);
      let entries: KeyEntry[];
      try {
        entries = decodeKeyEntries(absolute, content);
      } finally {
        zeroize(content);
      }
      const unlocked = { headerBytes: parts.headerBytes.slice(), fileKey };
      return new FileKeyStore(absolute, provider, new KeyRing(provider, entries), lock, unlocked);
    } catch (error) {
      zeroize(fileKey);
      await lock.release();
      throw error;
    }
  }

  /**
   * Re-encrypts the file under a new secret with a new salt (and, for a passphrase, new scrypt
   * parameters: the way to raise them), then uses it from here on. Mode changes (passphrase ↔
   * key) are allowed.
   * @throws InvalidArgumentError on a bad secret or scrypt parameters
   */
  changeSecret(options: ChangeSecretOptions): Promise<void> {
    return this.exclusive(async () => {
      const secret = checkKeyStoreSecret(options);
      const header = newHeader(this.#provider, secret, options.scrypt);
      const fileKey = await deriveFileKey(this.#provider, secret, header);
      const unlocked = { headerBytes: encodeHeader(header), fileKey };
      try {
        await writeSealed(this.#provider, this.path, unlocked, this.#ring.entries());
      } catch (error) {
        zeroize(fileKey);
        throw error;
      }
      zeroize(this.#unlocked.fileKey);
      this.#unlocked = unlocked;
    });
  }

  protected override persist(entries: readonly KeyEntry[]): Promise<void> {
    return writeSealed(this.#provider, this.path, this.#unlocked, entries);
  }

  protected override closedError(): KeyStoreClosedError {
    return new KeyStoreClosedError(`key store ${this.path} is closed`, {
      metadata: { path: this.path },
    });
  }

  /** Zeroizes the file key and releases the lock (the seeds are already wiped). */
  protected override async release(): Promise<void> {
    zeroize(this.#unlocked.fileKey);
    await this.#lock.release();
  }
}

/** Seals `entries` and replaces the file with them. */
async function writeSealed(
  provider: CryptoProvider,
  path: string,
  unlocked: Unlocked,
  entries: readonly KeyEntry[],
): Promise<void> {
  const content = encodeKeyEntries(entries);
  let file: Uint8Array;
  try {
    file = sealKeyStoreFile(provider, unlocked.fileKey, unlocked.headerBytes, content);
  } finally {
    zeroize(content);
  }
  await writeFileAtomic(path, file);
}

/** A header for a new file key: scrypt for a passphrase, HKDF for a key; a fresh salt. */
function newHeader(
  provider: CryptoProvider,
  secret: KeyStoreSecret,
  scrypt: Partial<ScryptParams> | undefined,
): KeyStoreHeader {
  const salt = provider.randomBytes(SALT_BYTES);
  if (secret.passphrase === undefined) {
    if (scrypt !== undefined) {
      throw new InvalidArgumentError('scrypt parameters apply only to a passphrase, not to a key', {
        field: 'scrypt',
      });
    }
    return { kdf: { name: 'hkdf-sha256' }, salt };
  }
  const params = { ...DEFAULT_SCRYPT_PARAMS, ...scrypt };
  const problem = scryptParamsProblem(params);
  if (problem !== undefined) throw new InvalidArgumentError(problem, { field: 'scrypt' });
  return { kdf: { name: 'scrypt', ...params }, salt };
}

function checkSecretKind(path: string, header: KeyStoreHeader, secret: KeyStoreSecret): void {
  if (header.kdf.name === 'scrypt' && secret.passphrase === undefined) {
    throw new InvalidArgumentError(
      `key store ${path} is protected by a passphrase; open it with { passphrase }`,
      { field: 'key' },
    );
  }
  if (header.kdf.name === 'hkdf-sha256' && secret.key === undefined) {
    throw new InvalidArgumentError(
      `key store ${path} is protected by a 32-byte key; open it with { key }`,
      { field: 'passphrase' },
    );
  }
}

function missing(path: string): NotFoundError {
  return new NotFoundError(
    `key store file ${path} does not exist; create it with FileKeyStore.create(path, options)`,
    { field: 'path', metadata: { path } },
  );
}

async function readStoreFile(path: string): Promise<Uint8Array> {
  try {
    return await readFile(path);
  } catch (error) {
    if (errorCode(error) === 'ENOENT') throw missing(path);
    throw error;
  }
}

async function exists(path: string): Promise<boolean> {
  try {
    await stat(path);
    return true;
  } catch (error) {
    if (errorCode(error) === 'ENOENT') return false;
    throw error;
  }
}

async function requireDirectory(path: string): Promise<void> {
  const directory = dirname(path);
  if (!(await exists(directory))) {
    throw new NotFoundError(
      `directory ${directory} does not exist; create it (mode 0700) before creating the key store ${path}`,
      { field: 'path', metadata: { path } },
    );
  }
}
