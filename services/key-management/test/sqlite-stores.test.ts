/** The embedded adapters: every store contract on node:sqlite in a temp directory. */
import { afterAll, describe } from 'vitest';
import {
  SqlEnrollmentStore,
  SqlIdentityStore,
  SqliteNonceStore,
  SqlPrekeyStore,
  SqlSessionKeyStore,
} from '../src/stores/index.ts';
import { sqliteBackend, storesOn } from './backends.ts';
import { enrollmentStoreContract } from './contract/enrollment-store.contract.ts';
import { identityStoreContract } from './contract/identity-store.contract.ts';
import { nonceStoreContract } from './contract/nonce-store.contract.ts';
import { prekeyStoreContract } from './contract/prekey-store.contract.ts';
import { sessionKeyStoreContract } from './contract/session-key-store.contract.ts';

describe('sqlite stores', () => {
  const backend = sqliteBackend();
  afterAll(() => backend.dispose());

  identityStoreContract(storesOn(backend, (db) => new SqlIdentityStore(db)));
  enrollmentStoreContract(storesOn(backend, (db) => new SqlEnrollmentStore(db)));
  prekeyStoreContract(storesOn(backend, (db) => new SqlPrekeyStore(db)));
  sessionKeyStoreContract(storesOn(backend, (db) => new SqlSessionKeyStore(db)));
  nonceStoreContract(storesOn(backend, (db) => new SqliteNonceStore(db)));
});
