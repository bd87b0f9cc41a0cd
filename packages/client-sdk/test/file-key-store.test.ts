/**
 * FileKeyStore on disk: round trips through a new instance, the file format and its header,
 * rejection of wrong secrets, tampering and damage, file modes, crash leftovers, deletion reaching
 * the disk, and the lock that gives one file to one process.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { copyFile, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { defaultProvider, kemEncapsulate, toHex } from '@proof-messenger/crypto';
import {
  AlreadyExistsError,
  DecryptionError,
  InvalidArgumentError,
  NotFoundError,
} from '@proof-messenger/errors';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  FileKeyStore,
  type FileKeyStoreOpenOptions,
  KeyStoreFormatError,
  KeyStoreLockedError,
  KeyStoreUnlockError,
} from '../src/index.ts';
import { FAST_SCRYPT, isZero, KEYS, PASSPHRASE, tempDir } from './key-store-fixtures.ts';

const provider = defaultProvider();
const SUPPLIED_KEY = new Uint8Array(32).fill(7);
const withPassphrase = { passphrase: PASSPHRASE, provider } as const;

let dir: string;
let path: string;
let cleanup: () => Promise<void>;
const open: FileKeyStore[] = [];

beforeEach(async () => {
  ({ dir, cleanup } = await tempDir());
  path = join(dir, 'agent.keys');
});

afterEach(async () => {
  for (const store of open.splice(0)) await store.close();
  await cleanup();
});

async function create(
  options: Parameters<typeof FileKeyStore.create>[1] = { ...withPassphrase, scrypt: FAST_SCRYPT },
) {
  const store = await FileKeyStore.create(path, options);
  open.push(store);
  return store;
}

async function reopen(options: FileKeyStoreOpenOptions = withPassphrase) {
  const store = await FileKeyStore.open(path, options);
  open.push(store);
  return store;
}

async function rejection(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(
    () => {
      throw new Error('expected a rejection');
    },
    (error: unknown) => error,
  );
}

/** A store holding one key of every kind, closed, and what it held. */
async function populated(options?: Parameters<typeof FileKeyStore.create>[1]) {
  const store = await create(options);
  const records = [
    await store.put({ kind: 'identity', seed: KEYS.identity.seed(), createdAtMs: 1_000 }),
    await store.put({ kind: 'identity', seed: KEYS.identity2.seed(), createdAtMs: 2_000 }),
    await store.put({
      kind: 'signed-prekey',
      suite: 1,
      seed: KEYS.mlKem.seed(),
      createdAtMs: 3_000,
      expiresAtMs: 90_000,
    }),
    await store.put({
      kind: 'session',
      suite: 2,
      peerId: 'agent-b',
      seed: KEYS.xWing.seed(),
      createdAtMs: 4_000,
    }),
    await store.generate({ kind: 'one-time-prekey', suite: 2, createdAtMs: 5_000 }),
  ];
  const oneTime = await store.loadKemKeyPair(records[4]?.keyId ?? '');
  await store.close();
  return { records, oneTime };
}

function lines(file: Buffer): { header: Record<string, unknown>; body: string } {
  const text = file.toString('utf8');
  const [header = '', body = '', rest] = text.split('\n');
  expect(rest).toBe('');
  return { header: JSON.parse(header) as Record<string, unknown>, body };
}

describe('round trips through a new instance', () => {
  it.each([
    ['a passphrase', { ...withPassphrase, scrypt: FAST_SCRYPT }, withPassphrase],
    ['a supplied key', { key: SUPPLIED_KEY, provider }, { key: SUPPLIED_KEY, provider }],
  ] as const)('with %s', async (_name, createOptions, openOptions) => {
    const { records, oneTime } = await populated(createOptions);
    const store = await reopen(openOptions);

    expect(await store.list()).toEqual(records);
    expect(records.slice(0, 4).map((record) => record.keyId)).toEqual([
      KEYS.identity.keyId,
      KEYS.identity2.keyId,
      KEYS.mlKem.keyId,
      KEYS.xWing.keyId,
    ]);
    expect((await store.loadSigner(KEYS.identity2.keyId)).keyId).toBe(KEYS.identity2.keyId);
    const loaded = await store.loadKemKeyPair(oneTime.keyId);
    expect(toHex(loaded.publicKey)).toBe(toHex(oneTime.publicKey));
    const { sharedSecret, ciphertext } = await kemEncapsulate(provider, 2, oneTime.publicKey);
    expect(toHex(await loaded.decapsulate(ciphertext))).toBe(toHex(sharedSecret));
  });
});

describe('file format', () => {
  it('is a JSON header line and a base64 sealed line; the header names scrypt and its salt', async () => {
    await create();
    const { header, body } = lines(await readFile(path));
    expect(header).toEqual({
      format: 'proof-messenger/key-store',
      version: 1,
      kdf: { name: 'scrypt', n: 16384, r: 8, p: 1 },
      salt: expect.stringMatching(/^[A-Za-z0-9_-]{43}$/),
    });
    // nonce (12) + empty key list content (4 + 23 bytes of JSON) + tag (16)
    expect(Buffer.from(body, 'base64').length).toBe(12 + 4 + '{"version":1,"keys":[]}'.length + 16);
  });

  it('names HKDF for a supplied key', async () => {
    await create({ key: SUPPLIED_KEY, provider });
    expect(lines(await readFile(path)).header).toEqual({
      format: 'proof-messenger/key-store',
      version: 1,
      kdf: { name: 'hkdf-sha256' },
      salt: expect.stringMatching(/^[A-Za-z0-9_-]{43}$/),
    });
  });

  it('uses the default scrypt parameters (n = 2^17, r = 8, p = 1) unless told otherwise', async () => {
    const store = await create(withPassphrase);
    await store.put({ kind: 'identity', seed: KEYS.identity.seed(), createdAtMs: 1 });
    await store.close();
    expect(lines(await readFile(path)).header.kdf).toEqual({
      name: 'scrypt',
      n: 131072,
      r: 8,
      p: 1,
    });
    const reopened = await reopen();
    expect((await reopened.list()).map((record) => record.keyId)).toEqual([KEYS.identity.keyId]);
  });

  it('seals every write with a fresh nonce under the same salt', async () => {
    const store = await create();
    await store.put({ kind: 'identity', seed: KEYS.identity.seed(), createdAtMs: 1 });
    const first = lines(await readFile(path));
    await store.setExpiry(KEYS.identity.keyId, 50);
    await store.setExpiry(KEYS.identity.keyId, undefined);
    const second = lines(await readFile(path));
    expect(second.header).toEqual(first.header);
    expect(second.body.length).toBe(first.body.length);
    const nonce = (body: string) => toHex(Buffer.from(body, 'base64').subarray(0, 12));
    expect(nonce(second.body)).not.toBe(nonce(first.body));
  });

  it('is private to its owner (0600), and so is the lock file', async () => {
    const store = await create();
    expect((await stat(path)).mode & 0o777).toBe(0o600);
    expect((await stat(`${path}.lock`)).mode & 0o777).toBe(0o600);
    await store.put({ kind: 'identity', seed: KEYS.identity.seed(), createdAtMs: 1 });
    expect((await stat(path)).mode & 0o777).toBe(0o600);
  });
});

describe('refusing to unlock', () => {
  it('rejects a wrong passphrase with KeyStoreUnlockError and releases the lock', async () => {
    await populated();
    const error = await rejection(FileKeyStore.open(path, { passphrase: 'wrong', provider }));
    expect(error).toBeInstanceOf(KeyStoreUnlockError);
    expect(error).toBeInstanceOf(DecryptionError);
    expect(error).toMatchObject({
      name: 'KeyStoreUnlockError',
      message: `key store passphrase is wrong or the file was modified: ${path}`,
      code: 3,
      reason: 15,
      field: 'passphrase',
      metadata: { path },
    });
    expect(await readdir(dir)).toEqual(['agent.keys']);
    expect(await (await reopen()).list()).toHaveLength(5);
  });

  it('rejects a wrong supplied key', async () => {
    await populated({ key: SUPPLIED_KEY, provider });
    const error = await rejection(FileKeyStore.open(path, { key: new Uint8Array(32), provider }));
    expect(error).toBeInstanceOf(KeyStoreUnlockError);
    expect(error).toHaveProperty(
      'message',
      `key store key is wrong or the file was modified: ${path}`,
    );
  });

  it('says which kind of secret a file needs', async () => {
    await populated();
    const error = await rejection(FileKeyStore.open(path, { key: SUPPLIED_KEY, provider }));
    expect(error).toBeInstanceOf(InvalidArgumentError);
    expect(error).toHaveProperty(
      'message',
      `key store ${path} is protected by a passphrase; open it with { passphrase }`,
    );
  });

  it.each([
    [
      'no secret',
      {},
      'give exactly one of passphrase (a non-empty string) or key (32 bytes) to unlock the key store',
    ],
    [
      'both secrets',
      { passphrase: 'x', key: SUPPLIED_KEY },
      'give exactly one of passphrase (a non-empty string) or key (32 bytes) to unlock the key store',
    ],
    ['an empty passphrase', { passphrase: '' }, 'passphrase must be a non-empty string'],
    [
      'a short key',
      { key: new Uint8Array(16) },
      'key must be a Uint8Array of 32 bytes, got 16 bytes',
    ],
  ])('refuses %s before touching the disk', async (_name, options, message) => {
    const error = await rejection(FileKeyStore.create(path, options as FileKeyStoreOpenOptions));
    expect(error).toBeInstanceOf(InvalidArgumentError);
    expect(error).toHaveProperty('message', message);
    expect(await readdir(dir)).toEqual([]);
  });

  it.each([
    [{ n: 1000 }, 'scrypt n must be a power of two from 2^14 to 2^20, got 1000'],
    [{ n: 2 ** 21 }, 'scrypt n must be a power of two from 2^14 to 2^20, got 2097152'],
    [{ r: 0 }, 'scrypt r must be an integer from 1 to 32, got 0'],
    [{ p: 17 }, 'scrypt p must be an integer from 1 to 16, got 17'],
    [
      { n: 2 ** 20, r: 16 },
      'scrypt n and r need 128 * n * r = 2147483648 bytes, more than the 1 GiB limit',
    ],
  ])('refuses scrypt parameters %j', async (scrypt, message) => {
    const error = await rejection(FileKeyStore.create(path, { ...withPassphrase, scrypt }));
    expect(error).toBeInstanceOf(InvalidArgumentError);
    expect(error).toMatchObject({ message, field: 'scrypt' });
  });
});

describe('tampering and damage', () => {
  async function tamper(change: (file: Buffer) => Buffer | string): Promise<Buffer> {
    const original = await readFile(path);
    await writeFile(path, change(Buffer.from(original)));
    return original;
  }

  function withHeader(file: Buffer, edit: (header: string) => string): string {
    const [header = '', body = ''] = file.toString('utf8').split('\n');
    return `${edit(header)}\n${body}\n`;
  }

  function withSealedByte(file: Buffer, index: (length: number) => number): string {
    const [header = '', body = ''] = file.toString('utf8').split('\n');
    const sealed = Buffer.from(body, 'base64');
    const at = index(sealed.length);
    sealed[at] = (sealed[at] ?? 0) ^ 0x01;
    return `${header}\n${sealed.toString('base64')}\n`;
  }

  it.each([
    ['the nonce', () => 0],
    ['the first ciphertext byte', () => 12],
    ['a ciphertext byte in the middle', (length: number) => Math.floor(length / 2)],
    ['the last tag byte', (length: number) => length - 1],
  ])('a flipped bit in %s fails to unlock and loads nothing', async (_where, index) => {
    await populated();
    const original = await tamper((file) => withSealedByte(file, index));
    const error = await rejection(FileKeyStore.open(path, withPassphrase));
    expect(error).toBeInstanceOf(KeyStoreUnlockError);
    expect(error).toHaveProperty(
      'message',
      `key store passphrase is wrong or the file was modified: ${path}`,
    );
    await writeFile(path, original);
    expect(await (await reopen()).list()).toHaveLength(5);
  });

  it.each([
    ['raised scrypt n', (h: string) => h.replace('"n":16384', '"n":32768')],
    ['raised scrypt r', (h: string) => h.replace('"r":8', '"r":9')],
    [
      'another salt',
      (h: string) => h.replace(/"salt":"[A-Za-z0-9_-]{42}/, `"salt":"${'A'.repeat(42)}`),
    ],
    ['a space (same values, other bytes)', (h: string) => h.replace('"version":1', '"version": 1')],
  ])('a header with %s fails to unlock', async (_what, edit) => {
    await populated();
    await tamper((file) => withHeader(file, edit));
    const error = await rejection(FileKeyStore.open(path, withPassphrase));
    expect(error).toBeInstanceOf(KeyStoreUnlockError);
    expect(error).toHaveProperty(
      'message',
      `key store passphrase is wrong or the file was modified: ${path}`,
    );
  });

  it.each([
    [
      'n that is not a power of two',
      '"n":16384',
      '"n":16385',
      'its header is out of range: scrypt n must be a power of two from 2^14 to 2^20, got 16385',
    ],
    [
      'n of 2^30 (8 GiB)',
      '"n":16384',
      `"n":${2 ** 30}`,
      'its header is out of range: scrypt n must be a power of two from 2^14 to 2^20, got 1073741824',
    ],
    [
      'a missing p',
      ',"p":1',
      '',
      'its header is out of range: scrypt p must be an integer from 1 to 16, got undefined',
    ],
    [
      'an unknown kdf',
      '"name":"scrypt"',
      '"name":"argon2id"',
      'its header names an unknown kdf "argon2id"',
    ],
    [
      'another format',
      'proof-messenger/key-store',
      'something-else',
      'its header does not name the format proof-messenger/key-store',
    ],
    ['a short salt', '"salt":"', '"salt":"AAAA', `its header salt is not 32 bytes of base64url`],
  ])('a header with %s is refused before key derivation', async (_what, from, to, detail) => {
    await populated();
    await tamper((file) => withHeader(file, (header) => header.replace(from, to)));
    const error = await rejection(FileKeyStore.open(path, withPassphrase));
    expect(error).toBeInstanceOf(KeyStoreFormatError);
    expect(error).toMatchObject({
      message: `key store file ${path} is corrupted: ${detail}`,
      code: 15,
      metadata: { path },
    });
  });

  it('a newer format version is refused with an upgrade hint', async () => {
    await populated();
    await tamper((file) =>
      withHeader(file, (header) => header.replace('"version":1', '"version":2')),
    );
    const error = await rejection(FileKeyStore.open(path, withPassphrase));
    expect(error).toBeInstanceOf(KeyStoreFormatError);
    expect(error).toHaveProperty(
      'message',
      `key store file ${path} has format version 2, but this build reads only version 1; upgrade @proof-messenger/client-sdk`,
    );
  });

  it.each([
    ['empty', () => '', 'it is empty'],
    [
      'truncated',
      (file: Buffer) => file.subarray(0, file.length >> 1),
      'it is not two lines (header, sealed content); it may be truncated',
    ],
    ['garbage', () => 'not a key store\n\n', 'its header is not JSON'],
    [
      'a body that is not base64',
      (file: Buffer) => withHeader(file, (h) => h).replace(/\n.*\n$/, '\n!!!!\n'),
      'its sealed content is not base64',
    ],
    [
      'a body too short for a nonce and tag',
      (file: Buffer) => withHeader(file, (h) => h).replace(/\n.*\n$/, '\nAAAA\n'),
      'its sealed content is shorter than a nonce and a tag',
    ],
  ])('a file that is %s is refused as corrupted', async (_what, change, detail) => {
    await populated();
    await tamper(change);
    const error = await rejection(FileKeyStore.open(path, withPassphrase));
    expect(error).toBeInstanceOf(KeyStoreFormatError);
    expect(error).toMatchObject({
      message: `key store file ${path} is corrupted: ${detail}`,
      code: 15,
    });
    expect(await readdir(dir)).toEqual(['agent.keys']);
  });
});

describe('missing and existing files', () => {
  it('a missing file is NotFoundError naming the path and FileKeyStore.create', async () => {
    const error = await rejection(FileKeyStore.open(path, withPassphrase));
    expect(error).toBeInstanceOf(NotFoundError);
    expect(error).toMatchObject({
      message: `key store file ${path} does not exist; create it with FileKeyStore.create(path, options)`,
      code: 5,
      field: 'path',
    });
    expect(await readdir(dir)).toEqual([]);
  });

  it('a relative path is resolved and named absolutely', async () => {
    const relative = join('.', `pm-key-store-missing-${process.pid}.keys`);
    const error = await rejection(FileKeyStore.open(relative, withPassphrase));
    expect(error).toHaveProperty(
      'message',
      `key store file ${resolve(relative)} does not exist; create it with FileKeyStore.create(path, options)`,
    );
  });

  it('create refuses an existing file and leaves it alone', async () => {
    await populated();
    const before = await readFile(path);
    const error = await rejection(
      FileKeyStore.create(path, { ...withPassphrase, scrypt: FAST_SCRYPT }),
    );
    expect(error).toBeInstanceOf(AlreadyExistsError);
    expect(error).toHaveProperty(
      'message',
      `key store file ${path} already exists; open it with FileKeyStore.open(path, options)`,
    );
    expect(toHex(await readFile(path))).toBe(toHex(before));
    expect(await readdir(dir)).toEqual(['agent.keys']);
  });

  it('create needs the directory to exist', async () => {
    const nested = join(dir, 'missing', 'agent.keys');
    const error = await rejection(
      FileKeyStore.create(nested, { ...withPassphrase, scrypt: FAST_SCRYPT }),
    );
    expect(error).toBeInstanceOf(NotFoundError);
    expect(error).toHaveProperty(
      'message',
      `directory ${join(dir, 'missing')} does not exist; create it (mode 0700) before creating the key store ${nested}`,
    );
  });
});

describe('crashes and failed writes', () => {
  it('a temp file left by a crash before rename changes nothing and is removed on open', async () => {
    const store = await create();
    await store.put({ kind: 'identity', seed: KEYS.identity.seed(), createdAtMs: 1 });
    await store.close();
    const committed = await readFile(path);
    // The next write got as far as its temp file (a newer state), then the process died.
    const again = await reopen();
    await again.put({ kind: 'identity', seed: KEYS.identity2.seed(), createdAtMs: 2 });
    await again.close();
    const uncommitted = join(dir, 'agent.keys.0123456789abcdef.tmp');
    await copyFile(path, uncommitted);
    await writeFile(path, committed);
    const partial = join(dir, 'agent.keys.fedcba9876543210.tmp');
    await writeFile(partial, 'half a fi');
    const unrelated = join(dir, 'agent.keys.backup');
    await writeFile(unrelated, 'not ours');

    const reopened = await reopen();
    expect((await reopened.list()).map((record) => record.keyId)).toEqual([KEYS.identity.keyId]);
    expect((await readdir(dir)).sort()).toEqual([
      'agent.keys',
      'agent.keys.backup',
      'agent.keys.lock',
    ]);
  });

  it('a write that fails leaves memory as it was and the seed with the caller', async () => {
    const store = await create();
    await rm(dir, { recursive: true, force: true });
    const seed = KEYS.identity.seed();
    const error = await rejection(store.put({ kind: 'identity', seed, createdAtMs: 1 }));
    expect(error).toMatchObject({ code: 'ENOENT' });
    expect(await store.get(KEYS.identity.keyId)).toBeUndefined();
    expect(isZero(seed)).toBe(false);
  });
});

describe('forward secrecy on disk', () => {
  it('deleteExpired rewrites the file without the expired keys', async () => {
    const store = await create();
    const seeds = [KEYS.xWing.seed(), KEYS.xWing2.seed()];
    await store.put({ kind: 'identity', seed: KEYS.identity.seed(), createdAtMs: 1 });
    await store.put({
      kind: 'session',
      suite: 2,
      peerId: 'agent-b',
      seed: seeds[0] ?? new Uint8Array(),
      createdAtMs: 2,
      expiresAtMs: 100,
    });
    await store.put({
      kind: 'one-time-prekey',
      suite: 2,
      seed: seeds[1] ?? new Uint8Array(),
      createdAtMs: 3,
      expiresAtMs: 100,
    });
    const before = await readFile(path);

    expect(await store.deleteExpired(100)).toEqual([KEYS.xWing.keyId, KEYS.xWing2.keyId]);
    expect(seeds.every(isZero)).toBe(true);
    const after = await readFile(path);
    expect(after.length).toBeLessThan(before.length);
    await store.close();

    const reopened = await reopen();
    expect((await reopened.list()).map((record) => record.keyId)).toEqual([KEYS.identity.keyId]);
    expect(await reopened.get(KEYS.xWing.keyId)).toBeUndefined();
  });

  it('deleteExpired with nothing due leaves the file untouched', async () => {
    const store = await create();
    await store.put({
      kind: 'identity',
      seed: KEYS.identity.seed(),
      createdAtMs: 1,
      expiresAtMs: 500,
    });
    const before = await readFile(path);
    expect(await store.deleteExpired(499)).toEqual([]);
    expect(toHex(await readFile(path))).toBe(toHex(before));
  });

  it('delete reaches the disk too', async () => {
    const store = await create();
    await store.put({ kind: 'identity', seed: KEYS.identity.seed(), createdAtMs: 1 });
    await store.put({ kind: 'identity', seed: KEYS.identity2.seed(), createdAtMs: 2 });
    expect(await store.delete(KEYS.identity.keyId)).toBe(true);
    await store.close();
    expect((await (await reopen()).list()).map((record) => record.keyId)).toEqual([
      KEYS.identity2.keyId,
    ]);
  });

  it('concurrent writes all reach the disk', async () => {
    const store = await create();
    await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        store.generate({ kind: 'one-time-prekey', suite: 2, createdAtMs: i }),
      ),
    );
    await store.close();
    expect(await (await reopen()).list()).toHaveLength(20);
  });
});

describe('changing the secret', () => {
  it('re-encrypts under a new passphrase with raised scrypt cost and a new salt', async () => {
    const store = await create();
    await store.put({ kind: 'identity', seed: KEYS.identity.seed(), createdAtMs: 1 });
    const before = lines(await readFile(path)).header;
    await store.changeSecret({ passphrase: 'a new passphrase', scrypt: { n: 2 ** 15 } });
    await store.put({ kind: 'identity', seed: KEYS.identity2.seed(), createdAtMs: 2 });
    await store.close();

    const after = lines(await readFile(path)).header;
    expect(after.kdf).toEqual({ name: 'scrypt', n: 32768, r: 8, p: 1 });
    expect(after.salt).not.toBe(before.salt);
    expect(await rejection(FileKeyStore.open(path, withPassphrase))).toBeInstanceOf(
      KeyStoreUnlockError,
    );
    const reopened = await reopen({ passphrase: 'a new passphrase', provider });
    expect(await reopened.list()).toHaveLength(2);
  });

  it('moves from a passphrase to a supplied key', async () => {
    const store = await create();
    await store.put({ kind: 'identity', seed: KEYS.identity.seed(), createdAtMs: 1 });
    await store.changeSecret({ key: SUPPLIED_KEY });
    await store.close();
    expect(lines(await readFile(path)).header.kdf).toEqual({ name: 'hkdf-sha256' });
    expect(await (await reopen({ key: SUPPLIED_KEY, provider })).list()).toHaveLength(1);
  });
});

describe('one file, one process', () => {
  it('a second store on the same path in this process is refused until the first closes', async () => {
    const first = await create();
    expect(await readFile(`${path}.lock`, 'utf8')).toBe(`${process.pid}\n`);
    const error = await rejection(FileKeyStore.open(path, withPassphrase));
    expect(error).toBeInstanceOf(KeyStoreLockedError);
    expect(error).toMatchObject({
      message: `key store ${path} is already open in this process; use that FileKeyStore (a key store file belongs to one agent process)`,
      code: 9,
    });
    await first.close();
    expect(await readdir(dir)).toEqual(['agent.keys']);
    await reopen();
  });

  it('a store held by another process is refused; after that process dies its lock is taken over', async () => {
    await populated();
    const child = await holdInChild(path);
    try {
      const error = await rejection(FileKeyStore.open(path, withPassphrase));
      expect(error).toBeInstanceOf(KeyStoreLockedError);
      expect(error).toMatchObject({
        message: `key store ${path} is in use by process ${child.pid} (lock file ${path}.lock); a key store file belongs to one agent process: close the key store there first, or delete the lock file if that process does not use it`,
        metadata: { pid: String(child.pid) },
      });
    } finally {
      child.kill('SIGKILL');
      await once(child, 'exit');
    }
    expect(await readFile(`${path}.lock`, 'utf8')).toBe(`${child.pid}\n`);
    const store = await reopen();
    expect(await store.list()).toHaveLength(5);
    expect(await readFile(`${path}.lock`, 'utf8')).toBe(`${process.pid}\n`);
  });

  it("takes over a lock naming this process's pid left by an earlier incarnation", async () => {
    await populated();
    await writeFile(`${path}.lock`, `${process.pid}\n`);
    expect(await (await reopen()).list()).toHaveLength(5);
  });

  it('refuses a lock file that names no process', async () => {
    await populated();
    await writeFile(`${path}.lock`, '');
    const error = await rejection(FileKeyStore.open(path, withPassphrase));
    expect(error).toBeInstanceOf(KeyStoreLockedError);
    expect(error).toHaveProperty(
      'message',
      `key store ${path} is locked by ${path}.lock, which names no process; if no process uses the key store, delete the lock file`,
    );
  });
});

/** Starts a child process that opens the store at `storePath` and keeps it open until killed. */
async function holdInChild(storePath: string): Promise<ChildProcess & { pid: number }> {
  const entry = pathToFileURL(resolve(import.meta.dirname, '../src/index.ts')).href;
  const script = [
    `import { FileKeyStore } from ${JSON.stringify(entry)};`,
    'await FileKeyStore.open(process.env.PM_STORE_PATH, { passphrase: process.env.PM_STORE_PASSPHRASE });',
    "process.stdout.write('ready\\n');",
    'setInterval(() => {}, 60_000);',
  ].join('\n');
  const child = spawn(process.execPath, ['--input-type=module', '-e', script], {
    env: { ...process.env, PM_STORE_PATH: storePath, PM_STORE_PASSPHRASE: PASSPHRASE },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const [chunk] = (await once(child.stdout, 'data')) as [Buffer];
  expect(chunk.toString()).toBe('ready\n');
  if (child.pid === undefined) throw new Error('child process has no pid');
  return child as ChildProcess & { pid: number };
}
