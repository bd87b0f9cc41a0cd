/**
 * The distributed adapters' SQL half: every store contract on PostgreSQL, each test in a schema
 * of its own with two connection pools standing for two service instances. Skipped with a message
 * when PostgreSQL is unreachable outside CI; CI starts it or fails.
 */
import { requireServices } from '@proof-messenger/storage/testing';
import { afterAll, describe } from 'vitest';
import {
  SqlEnrollmentStore,
  SqlIdentityStore,
  SqliteNonceStore,
  SqlPrekeyStore,
  SqlSessionKeyStore,
} from '../src/stores/index.ts';
import { postgresBackend, storesOn } from './backends.ts';
import { enrollmentStoreContract } from './contract/enrollment-store.contract.ts';
import { identityStoreContract } from './contract/identity-store.contract.ts';
import { nonceStoreContract } from './contract/nonce-store.contract.ts';
import { prekeyStoreContract } from './contract/prekey-store.contract.ts';
import { sessionKeyStoreContract } from './contract/session-key-store.contract.ts';

const services = await requireServices(['postgres']);
if (!services.available) console.warn(`skipping PostgreSQL store contracts: ${services.reason}`);

describe.skipIf(!services.available)('postgres stores', () => {
  const backend = postgresBackend();
  afterAll(() => backend.dispose());

  identityStoreContract(storesOn(backend, (db) => new SqlIdentityStore(db)));
  enrollmentStoreContract(storesOn(backend, (db) => new SqlEnrollmentStore(db)));
  prekeyStoreContract(storesOn(backend, (db) => new SqlPrekeyStore(db)));
  sessionKeyStoreContract(storesOn(backend, (db) => new SqlSessionKeyStore(db)));
  nonceStoreContract(storesOn(backend, (db) => new SqliteNonceStore(db)));
});
