/**
 * The distributed adapter: the AuditStore contract on PostgreSQL, a schema per test and two
 * connection pools standing for two service instances. Skipped with a message when PostgreSQL
 * is unreachable outside CI; CI starts it or fails.
 */
import { requireServices } from '@proof-messenger/storage/testing';
import { describe } from 'vitest';
import { postgresBackend } from './audit-store-backends.ts';
import { auditStoreContract } from './contract/audit-store.contract.ts';

const services = await requireServices(['postgres']);
if (!services.available) console.warn(`skipping PostgreSQL audit store: ${services.reason}`);

describe.skipIf(!services.available)('postgres', () => {
  auditStoreContract(postgresBackend);
});
