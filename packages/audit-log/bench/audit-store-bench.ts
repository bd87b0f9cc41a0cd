/**
 * SQL audit store benchmark, for node:sqlite and (when reachable) PostgreSQL:
 *
 * 1. Append throughput through SqlAuditStore.append at several batch sizes (one transaction per
 *    batch: encoding, hashing, entry + node rows, head row update).
 * 2. A log of --entries (default 1,000,000). Building that many through append takes minutes
 *    (about 10k entries/s on sqlite, 7k/s on PostgreSQL on the 2-core machine), so by default the
 *    entries and every tree node are computed in memory with MemoryAuditLog and bulk-inserted in
 *    big transactions, with the secondary indexes dropped during the load and recreated after
 *    (the tables end up exactly as append leaves them; the bench checks the store's root against
 *    the in-memory one and appends through the store afterwards). --via-store builds through
 *    append instead.
 * 3. At that size: inclusion and consistency proof generation from the store (the node table) and
 *    their verification, then queries of recent events with filters — p50 / p99.
 *
 * Usage: npx --yes pnpm@10.34.9 exec node packages/audit-log/bench/audit-store-bench.ts
 *          [--entries 1000000] [--proofs 300] [--queries 100]
 *          [--postgres auto|no] [--via-store]
 * Prints a table, then one JSON line (`{"bench":"audit-store",...}`).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { defaultProvider } from '@proof-messenger/crypto';
import {
  openPostgresDatabase,
  openSqliteDatabase,
  type SqlDatabase,
  type SqlValue,
} from '@proof-messenger/storage';
import { postgresUrl, requireServices, uniqueSchemaName } from '@proof-messenger/storage/testing';
import {
  AUDIT_ACTIONS,
  type AuditEntryInput,
  type AuditQuery,
  AuditTrail,
  MemoryAuditLog,
  MerkleHasher,
  SqlAuditStore,
  treeRoot,
  verifyConsistencyProof,
  verifyInclusionProof,
} from '../src/index.ts';

const { values } = parseArgs({
  options: {
    entries: { type: 'string', default: '1000000' },
    proofs: { type: 'string', default: '300' },
    queries: { type: 'string', default: '100' },
    postgres: { type: 'string', default: 'auto' },
    'via-store': { type: 'boolean', default: false },
  },
});
const total = Number(values.entries);
const proofCount = Number(values.proofs);
const queryCount = Number(values.queries);
const provider = defaultProvider();
const hasher = new MerkleHasher(provider);
const BASE_TIME = 1_750_000_000_000;
const AGENTS = 1000;
const actions = Object.values(AUDIT_ACTIONS);

// A small deterministic generator so runs pick the same indices.
let state = 0x2545f491;
function random(below: number): number {
  state ^= state << 13;
  state ^= state >>> 17;
  state ^= state << 5;
  return (state >>> 0) % below;
}

/** Entry i of a synthetic log: 1000 agents, one entry per 10 ms, mostly message events. */
function input(i: number): AuditEntryInput {
  const rare = i % 97 === 0;
  return {
    timeMs: BASE_TIME + i * 10,
    actor: `agent-${(i * 7919) % AGENTS}`,
    action: rare
      ? (actions[(i / 97) % actions.length] as string)
      : i % 3 === 0
        ? 'message.delivered'
        : 'message.sent',
    target: `agent-${(i * 104729 + 13) % AGENTS}`,
    outcome: i % 50 === 0 ? 'denied' : 'success',
    reason: i % 50 === 0 ? 'policy forbids' : '',
    details: { priority: String(i % 4) },
    messageIds: [`msg-${i}`],
    messageHashes: [provider.sha256(Uint8Array.of(i & 0xff, (i >> 8) & 0xff, (i >> 16) & 0xff))],
  };
}

function percentile(sorted: readonly number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((sorted.length * p) / 100))] as number;
}

function summary(samplesMs: number[]): { p50Ms: number; p99Ms: number } {
  const sorted = [...samplesMs].sort((a, b) => a - b);
  const ms = (v: number) => Math.round(v * 1000) / 1000;
  return { p50Ms: ms(percentile(sorted, 50)), p99Ms: ms(percentile(sorted, 99)) };
}

/** The secondary indexes of audit-migrations.ts, dropped during the bulk load. */
const INDEXES: Record<string, string> = {
  audit_log_entries_by_actor: '(actor, sequence)',
  audit_log_entries_by_target: '(target, sequence)',
  audit_log_entries_by_action: '(action, sequence)',
  audit_log_entries_by_outcome: '(outcome, sequence)',
  audit_log_entries_by_time: '(time_ms, sequence)',
};

async function appendThroughput(db: SqlDatabase): Promise<Record<string, number>> {
  const store = await SqlAuditStore.open(db, provider);
  const out: Record<string, number> = {};
  let next = 0;
  for (const [batch, count] of [
    [1, 500],
    [16, 4000],
    [256, 10_240],
    [1000, 10_000],
  ] as const) {
    const start = performance.now();
    for (let done = 0; done < count; done += batch) {
      await store.append(Array.from({ length: batch }, (_, j) => input(next + j)));
      next += batch;
    }
    out[`batch${batch}`] = Math.round(count / ((performance.now() - start) / 1000));
  }
  return out;
}

async function bulkLoad(db: SqlDatabase, log: MemoryAuditLog): Promise<void> {
  const entries = log.entries;
  const tree = log.tree;
  await db.executeScript(
    Object.keys(INDEXES)
      .map((name) => `DROP INDEX ${name};`)
      .join('\n'),
  );
  const chunk = db.dialect === 'postgres' ? 20_000 : 100_000;
  const hex = (bytes: Uint8Array) => Buffer.from(bytes).toString('hex');
  for (let start = 0; start < entries.length; start += chunk) {
    const slice = entries.slice(start, start + chunk);
    await db.transaction(async (tx) => {
      if (tx.dialect === 'postgres') {
        const rows = slice.map((e) => ({
          sequence: e.sequence,
          time_ms: e.timeMs,
          actor: e.actor,
          action: e.action,
          target: e.target,
          outcome: e.outcome,
          reason: e.reason,
          details: JSON.stringify(e.details),
          message_ids: JSON.stringify(e.messageIds),
          message_hashes: JSON.stringify(e.messageHashes.map(hex)),
          previous_hash: hex(e.previousHash),
          leaf_hash: hex(tree.leafHash(e.sequence)),
        }));
        await tx.execute(
          `INSERT INTO audit_log_entries
             SELECT sequence, time_ms, actor, action, target, outcome, reason, details, message_ids,
                    message_hashes, decode(previous_hash, 'hex'), decode(leaf_hash, 'hex')
               FROM json_to_recordset($1::json) AS x(sequence bigint, time_ms bigint, actor text,
                    action text, target text, outcome text, reason text, details text,
                    message_ids text, message_hashes text, previous_hash text, leaf_hash text)`,
          [JSON.stringify(rows)],
        );
      } else {
        for (const e of slice) {
          await tx.execute(
            `INSERT INTO audit_log_entries VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)`,
            [
              e.sequence,
              e.timeMs,
              e.actor,
              e.action,
              e.target,
              e.outcome,
              e.reason,
              JSON.stringify(e.details),
              JSON.stringify(e.messageIds),
              JSON.stringify(e.messageHashes.map(hex)),
              e.previousHash,
              tree.leafHash(e.sequence).slice(),
            ] as SqlValue[],
          );
        }
      }
    });
  }
  // Every complete node of level ≥ 1.
  const nodes: { level: number; idx: number; hash: string }[] = [];
  for (let level = 1; 2 ** level <= entries.length; level++) {
    const count = Math.floor(entries.length / 2 ** level);
    for (let idx = 0; idx < count; idx++) {
      nodes.push({ level, idx, hash: hex(tree.nodeHash(level, idx)) });
    }
  }
  for (let start = 0; start < nodes.length; start += 50_000) {
    const slice = nodes.slice(start, start + 50_000);
    await db.transaction(async (tx) => {
      if (tx.dialect === 'postgres') {
        await tx.execute(
          `INSERT INTO audit_log_nodes SELECT level, idx, decode(hash, 'hex')
             FROM json_to_recordset($1::json) AS x(level smallint, idx bigint, hash text)`,
          [JSON.stringify(slice)],
        );
      } else {
        for (const n of slice) {
          await tx.execute('INSERT INTO audit_log_nodes VALUES ($1, $2, $3)', [
            n.level,
            n.idx,
            Buffer.from(n.hash, 'hex'),
          ]);
        }
      }
    });
  }
  const last = entries[entries.length - 1];
  const lastHash = last === undefined ? new Uint8Array(32) : tree.leafHash(last.sequence).slice();
  await db.execute('UPDATE audit_log_head SET size = $1, last_hash = $2 WHERE id = 1', [
    entries.length,
    lastHash,
  ]);
  await db.execute(
    db.dialect === 'postgres'
      ? 'INSERT INTO audit_log_actions SELECT DISTINCT action FROM audit_log_entries ON CONFLICT DO NOTHING'
      : 'INSERT OR IGNORE INTO audit_log_actions SELECT DISTINCT action FROM audit_log_entries',
  );
  await db.executeScript(
    Object.entries(INDEXES)
      .map(([name, columns]) => `CREATE INDEX ${name} ON audit_log_entries ${columns};`)
      .join('\n'),
  );
}

interface LargeResult {
  buildSeconds: number;
  buildMethod: string;
  inclusionGenerate: { p50Ms: number; p99Ms: number };
  inclusionVerify: { p50Ms: number; p99Ms: number };
  consistencyGenerate: { p50Ms: number; p99Ms: number };
  consistencyVerify: { p50Ms: number; p99Ms: number };
  appendAfterBuildPerSec: number;
  queries: Record<string, { p50Ms: number; p99Ms: number }>;
}

async function large(db: SqlDatabase, log: MemoryAuditLog | undefined): Promise<LargeResult> {
  const store = await SqlAuditStore.open(db, provider);
  const start = performance.now();
  if (log === undefined) {
    for (let done = 0; done < total; done += 10_000) {
      const count = Math.min(10_000, total - done);
      await store.append(Array.from({ length: count }, (_, j) => input(done + j)));
    }
  } else {
    await bulkLoad(db, log);
  }
  await db.executeScript('ANALYZE');
  const buildSeconds = Math.round(performance.now() - start) / 1000;
  const size = await store.size();
  if (size !== total) throw new Error(`store has ${size} entries, expected ${total}`);
  const root = await treeRoot(hasher, store, size);
  if (log !== undefined && !Buffer.from(root).equals(Buffer.from(log.tree.rootHash()))) {
    throw new Error('the store root differs from the in-memory root');
  }
  const trail = new AuditTrail({ store, hasher });

  const incGen: number[] = [];
  const incVer: number[] = [];
  const conGen: number[] = [];
  const conVer: number[] = [];
  for (let i = 0; i < proofCount; i++) {
    const index = random(size);
    let t = performance.now();
    const proof = await trail.inclusionProof(index, size);
    incGen.push(performance.now() - t);
    const leaf = await store.leafHash(index);
    t = performance.now();
    const ok = verifyInclusionProof(hasher, index, size, leaf, proof.hashes, root);
    incVer.push(performance.now() - t);
    if (!ok) throw new Error(`inclusion proof of ${index} failed`);
    const from = 1 + random(size - 1);
    t = performance.now();
    const consistency = await trail.consistencyProof(from, size);
    conGen.push(performance.now() - t);
    const oldRoot = await treeRoot(hasher, store, from);
    t = performance.now();
    const consistent = verifyConsistencyProof(
      hasher,
      from,
      size,
      oldRoot,
      root,
      consistency.hashes,
    );
    conVer.push(performance.now() - t);
    if (!consistent) throw new Error(`consistency proof ${from} → ${size} failed`);
  }

  // Appends on top of the big log: the right edge is read from the node table.
  const appendStart = performance.now();
  for (let i = 0; i < 10; i++) {
    await store.append(Array.from({ length: 100 }, (_, j) => input(size + i * 100 + j)));
  }
  const appendAfterBuildPerSec = Math.round(1000 / ((performance.now() - appendStart) / 1000));

  const now = BASE_TIME + (size + 1000) * 10;
  const shapes: Record<string, () => AuditQuery> = {
    newest: () => ({}),
    agent: () => ({ agentId: `agent-${random(AGENTS)}` }),
    'agent+last hour': () => ({ agentId: `agent-${random(AGENTS)}`, sinceMs: now - 3_600_000 }),
    'rare action': () => ({ actions: [AUDIT_ACTIONS.policyDenied] }),
    'prefix message.': () => ({ actions: ['message.'] }),
    'outcome denied': () => ({ outcome: 'denied' }),
    'agent+denied': () => ({ agentId: `agent-${random(AGENTS)}`, outcome: 'denied' }),
    'old window': () => {
      const at = BASE_TIME + random(size) * 10;
      return { sinceMs: at, untilMs: at + 60_000 };
    },
  };
  const queries: Record<string, { p50Ms: number; p99Ms: number }> = {};
  for (const [name, make] of Object.entries(shapes)) {
    const samples: number[] = [];
    for (let i = 0; i < queryCount; i++) {
      const query = make();
      const t = performance.now();
      const page = await store.query(query);
      samples.push(performance.now() - t);
      if (page.entries.length === 0 && name !== 'agent+denied') {
        throw new Error(`query ${name} found nothing`);
      }
    }
    queries[name] = summary(samples);
  }
  // Second page of a filtered query, through its token.
  const pageSamples: number[] = [];
  for (let i = 0; i < queryCount; i++) {
    const agentId = `agent-${random(AGENTS)}`;
    const first = await store.query({ agentId, pageSize: 50 });
    const t = performance.now();
    await store.query({ agentId, pageSize: 50, pageToken: first.nextPageToken });
    pageSamples.push(performance.now() - t);
  }
  queries['agent page 2'] = summary(pageSamples);

  return {
    buildSeconds,
    buildMethod:
      log === undefined ? 'append (batches of 10,000)' : 'bulk insert of memory-built log',
    inclusionGenerate: summary(incGen),
    inclusionVerify: summary(incVer),
    consistencyGenerate: summary(conGen),
    consistencyVerify: summary(conVer),
    appendAfterBuildPerSec,
    queries,
  };
}

const benchStart = performance.now();
const dir = mkdtempSync(join(tmpdir(), 'pm-audit-bench-'));
const result: Record<string, unknown> = {
  bench: 'audit-store',
  entries: total,
  provider: provider.name,
};
try {
  let log: MemoryAuditLog | undefined;
  if (!values['via-store']) {
    const t = performance.now();
    log = new MemoryAuditLog(hasher);
    for (let i = 0; i < total; i++) log.append(input(i));
    result.memoryBuildSeconds = Math.round(performance.now() - t) / 1000;
  }

  const targets: {
    name: string;
    open: () => Promise<{ db: SqlDatabase; drop: () => Promise<void> }>;
  }[] = [
    {
      name: 'sqlite',
      open: async () => {
        const path = join(dir, `audit-${Math.random().toString(36).slice(2)}.sqlite`);
        return {
          db: await openSqliteDatabase(path),
          drop: async () => rmSync(path, { force: true }),
        };
      },
    },
  ];
  const pg = values.postgres === 'no' ? { available: false } : await requireServices(['postgres']);
  if (pg.available) {
    targets.push({
      name: 'postgres',
      open: async () => {
        const schema = uniqueSchemaName('pm_audit_bench');
        const db = await openPostgresDatabase({ connectionString: postgresUrl(), schema, max: 4 });
        return {
          db,
          drop: async () => {
            await db.execute(`DROP SCHEMA "${schema}" CASCADE`);
          },
        };
      },
    });
  }
  for (const target of targets) {
    const small = await target.open();
    const append = await appendThroughput(small.db);
    await small.drop();
    await small.db.close();
    const big = await target.open();
    const largeResult = await large(big.db, log);
    await big.drop();
    await big.db.close();
    result[target.name] = { appendPerSec: append, ...largeResult };

    console.log(`${target.name}:`);
    console.log(
      `  append through the store (entries/s by batch size): ${Object.entries(append)
        .map(([k, v]) => `${k.replace('batch', '')}: ${v}`)
        .join(', ')}`,
    );
    console.log(
      `  ${total} entries built in ${largeResult.buildSeconds} s (${largeResult.buildMethod})`,
    );
    console.log(
      `  append on top of it: ${largeResult.appendAfterBuildPerSec} entries/s (batches of 100)`,
    );
    for (const [name, s] of [
      ['inclusion generate', largeResult.inclusionGenerate],
      ['inclusion verify', largeResult.inclusionVerify],
      ['consistency generate', largeResult.consistencyGenerate],
      ['consistency verify', largeResult.consistencyVerify],
      ...Object.entries(largeResult.queries).map(([k, v]) => [`query ${k}`, v] as const),
    ] as const) {
      console.log(`  ${name.padEnd(26)} p50 ${s.p50Ms} ms   p99 ${s.p99Ms} ms`);
    }
  }
  if (!pg.available) result.postgres = 'unreachable';
} finally {
  rmSync(dir, { recursive: true, force: true });
}
result.seconds = Math.round(performance.now() - benchStart) / 1000;
console.log(JSON.stringify(result));
