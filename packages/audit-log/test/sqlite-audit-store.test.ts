/** The embedded adapter: the AuditStore contract on node:sqlite, a new file per test. */
import { sqliteBackend } from './audit-store-backends.ts';
import { auditStoreContract } from './contract/audit-store.contract.ts';

auditStoreContract(sqliteBackend);
