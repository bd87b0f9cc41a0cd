/** SqlPolicyStore passes the PolicyStore contract on node:sqlite and on PostgreSQL. */
import { requireServices } from '@proof-messenger/storage/testing';
import { describe } from 'vitest';
import { postgresBackend, sqliteBackend } from './backends.ts';
import { policyStoreContract } from './policy-store.contract.ts';

describe('sqlite', () => {
  policyStoreContract(sqliteBackend);
});

const services = await requireServices(['postgres']);
if (!services.available) console.warn(`skipping PostgreSQL policy store: ${services.reason}`);

describe.skipIf(!services.available)('postgres', () => {
  policyStoreContract(postgresBackend);
});
