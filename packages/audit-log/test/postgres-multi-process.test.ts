/**
 * Several processes and pools appending to one PostgreSQL audit log at once: two child processes
 * (each migrating, appending 500 entries in random batches and signing checkpoints as they go)
 * and two pools in this process. Afterwards the sizes add up, the chain is unbroken, each
 * writer's entries are in its own order, the offline verifier accepts the whole log with every
 * stored checkpoint, and consistency proofs join each checkpoint to the next.
 */
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { defaultProvider } from '@proof-messenger/crypto';
import { openPostgresDatabase, type SqlDatabase } from '@proof-messenger/storage';
import { postgresUrl, requireServices, uniqueSchemaName } from '@proof-messenger/storage/testing';
import { afterAll, describe, expect, it } from 'vitest';
import {
  type AuditEntry,
  AuditTrail,
  auditEntryHash,
  GENESIS_PREVIOUS_HASH,
  MerkleHasher,
  type SignedCheckpoint,
  SqlAuditStore,
  verifyAuditLog,
  verifyConsistency,
} from '../src/index.ts';
import { auditSigner, entryInput } from './fixtures.ts';

const run = promisify(execFile);
const worker = fileURLToPath(new URL('./fixtures/append-worker.ts', import.meta.url));
const services = await requireServices(['postgres']);
if (!services.available) console.warn(`skipping multi-process audit test: ${services.reason}`);

describe.skipIf(!services.available)('audit log on PostgreSQL, several processes', () => {
  const schema = uniqueSchemaName('pm_audit_mp');
  const dbs: SqlDatabase[] = [];
  afterAll(async () => {
    const admin = dbs[0];
    for (const db of dbs.slice(1)) await db.close();
    await admin?.execute(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
    await admin?.close();
  });

  it('keeps one chain and one tree with two processes and two pools appending', async () => {
    const provider = defaultProvider();
    const hasher = new MerkleHasher(provider);
    const signer = auditSigner(provider);
    const open = async () => {
      const db = await openPostgresDatabase({ connectionString: postgresUrl(), schema, max: 3 });
      dbs.push(db);
      return SqlAuditStore.open(db, provider);
    };
    const children = ['p', 'q'].map((tag, i) =>
      run(process.execPath, [worker, schema, '500', tag, String(17 + i)], { timeout: 60_000 }),
    );
    const [first, second] = await Promise.all([open(), open()]);
    const trail = new AuditTrail({ store: first, hasher, signer });
    const local = async (store: SqlAuditStore, tag: string) => {
      for (let done = 0; done < 100; done += 5) {
        await store.append(
          Array.from({ length: 5 }, (_, i) => ({
            ...entryInput(done + i),
            actor: `${tag}-${done + i}`,
          })),
        );
        if (done % 25 === 0) await trail.checkpoint();
      }
    };
    const [outputs] = await Promise.all([
      Promise.all(children),
      local(first, 'x'),
      local(second as SqlAuditStore, 'y'),
    ]);
    for (const { stdout } of outputs) expect(JSON.parse(stdout)).toMatchObject({ appended: 500 });
    const final = (await trail.checkpoint()) as SignedCheckpoint;
    expect(final.treeSize).toBe(1200);

    const entries: AuditEntry[] = [];
    while (entries.length < 1200) entries.push(...(await first.entries(entries.length, 1000)));
    let previous = GENESIS_PREVIOUS_HASH;
    for (const [i, entry] of entries.entries()) {
      expect(entry.sequence).toBe(i);
      expect(entry.previousHash).toEqual(previous);
      previous = auditEntryHash(hasher, entry);
    }
    for (const [tag, count] of [
      ['p', 500],
      ['q', 500],
      ['x', 100],
      ['y', 100],
    ] as const) {
      const own = entries.filter((e) => e.actor.startsWith(`${tag}-`)).map((e) => e.actor);
      expect(own).toEqual(Array.from({ length: count }, (_, i) => `${tag}-${i}`));
    }

    const checkpoints = await first.listCheckpoints(0, 1000);
    expect(checkpoints.length).toBeGreaterThan(3);
    const verified = await verifyAuditLog(entries, checkpoints, signer.publicKey);
    expect(verified).toMatchObject({ entryCount: 1200, verifiedSize: 1200 });
    for (let i = 1; i < checkpoints.length; i++) {
      const older = checkpoints[i - 1] as SignedCheckpoint;
      const newer = checkpoints[i] as SignedCheckpoint;
      const proof = await trail.consistencyProof(older.treeSize, newer.treeSize);
      await verifyConsistency(older, newer, proof, signer.publicKey);
    }
  }, 90_000);
});
