/**
 * SQL audit store benchmark, for node:sqlite and (when reachable) PostgreSQL:
 *
 * 1. Append throughput through SqlAuditStore.append at several batch sizes (one transaction per
 *    batch: encoding, hashing, entry + node rows, head row update).
 * 2. A log of --entries (default 200,000) real entries, computed in memory with MemoryAuditLog and
 *    bulk-inserted in big transactions, with the secondary indexes dropped during the load and
 *    recreated after (the tables end up exactly as append leaves them; the bench checks the
 *    store's root against the in-memory one and appends through the store afterwards).
 *    --via-store builds through append instead. On it: appends on top, then queries with filters
 *    (recent events, and time windows recent and deep in the past) — p50 / p99.
 * 3. Proof generation from the store (the node table) and verification, on a tree of
 *    --proof-leaves (default 1,000,000) leaves. Encoding 1,000,000 full entries takes about a
 *    minute on the 2-core machine, so by default that tree's leaves are hashes of 8-byte leaf
 *    inputs (u64be(i)), not of encoded entries: proofs read only stored hashes (leaf hashes in
 *    audit_log_entries, subtrees in audit_log_nodes) and hash 32-byte nodes, so their cost
 *    depends on the tree size, not on what the leaves encode. The entry rows of that tree carry
 *    placeholder fields and no secondary indexes (nothing queries them). --proof-leaves 0
 *    measures proofs on the log of step 2 instead; `--entries 1000000 --proof-leaves 0` is the
 *    full run at 1,000,000 real entries (about 4–5 minutes).
 *
 * Usage: npx --yes pnpm@10.34.9 exec node packages/audit-log/bench/audit-store-bench.ts
 *          [--entries 200000] [--proof-leaves 1000000] [--proofs 300] [--queries 100]
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
  MemoryMerkleTree,
  MerkleHasher,
  SqlAuditStore,
  treeRoot,
  verifyConsistencyProof,
  verifyInclusionProof,
} from '../src/index.ts';

const { values } = parseArgs({
  options: {
    entries: { type: 'string', default: '200000' },
    'proof-leaves': { type: 'string', default: '1000000' },
    proofs: { type: 'string', default: '300' },
    queries: { type: 'string', default: '100' },
    postgres: { type: 'string', default: 'auto' },
    'via-store': { type: 'boolean', default: false },
  },
});
const total = Number(values.entries);
const proofLeaves = Number(values['proof-leaves']);
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
  await loadNodes(db, tree);
  const last = entries[entries.length - 1];
  await setHead(db, tree, last?.timeMs ?? 0);
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

const hex = (bytes: Uint8Array) => Buffer.from(bytes).toString('hex');

/** Every complete node of level ≥ 1 of `tree` into audit_log_nodes. */
async function loadNodes(db: SqlDatabase, tree: MemoryMerkleTree): Promise<void> {
  const size = tree.size();
  const nodes: { level: number; idx: number; hash: string }[] = [];
  for (let level = 1; 2 ** level <= size; level++) {
    const count = Math.floor(size / 2 ** level);
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
}

/** The head as append would leave it after the tree's last leaf. */
async function setHead(db: SqlDatabase, tree: MemoryMerkleTree, lastTimeMs: number): Promise<void> {
  const size = tree.size();
  const lastHash = size === 0 ? new Uint8Array(32) : tree.leafHash(size - 1).slice();
  await db.execute(
    'UPDATE audit_log_head SET size = $1, last_hash = $2, last_time_ms = $3 WHERE id = 1',
    [size, lastHash, lastTimeMs],
  );
}

/** The tree of step 3: leaf i is the leaf hash of u64be(i). */
function leafTree(size: number): MemoryMerkleTree {
  const tree = new MemoryMerkleTree(hasher);
  const leaf = new Uint8Array(8);
  const view = new DataView(leaf.buffer);
  for (let i = 0; i < size; i++) {
    view.setUint32(0, Math.floor(i / 2 ** 32));
    view.setUint32(4, i >>> 0);
    tree.append(hasher.hashLeaf(leaf));
  }
  return tree;
}

/**
 * Stores `tree` as a log whose entry rows hold its leaf hashes and placeholder fields (the
 * previous hash is the leaf hash before, as in a real log), and every node; no secondary indexes.
 */
async function loadLeafTree(db: SqlDatabase, tree: MemoryMerkleTree): Promise<void> {
  await db.executeScript(
    Object.keys(INDEXES)
      .map((name) => `DROP INDEX ${name};`)
      .join('\n'),
  );
  const size = tree.size();
  const previous = (i: number) => (i === 0 ? new Uint8Array(32) : tree.leafHash(i - 1));
  const chunk = db.dialect === 'postgres' ? 50_000 : 100_000;
  for (let start = 0; start < size; start += chunk) {
    const count = Math.min(chunk, size - start);
    await db.transaction(async (tx) => {
      if (tx.dialect === 'postgres') {
        // previous(start), then the chunk's leaf hashes: row n's previous hash is hash n, its leaf
        // hash n + 1 (bytea, so each substring is a slice, not a scan of a long text).
        const hashes = Buffer.alloc((count + 1) * 32);
        hashes.set(previous(start), 0);
        for (let i = 0; i < count; i++) hashes.set(tree.leafHash(start + i), (i + 1) * 32);
        await tx.execute(
          `INSERT INTO audit_log_entries
             SELECT $1::bigint + n, $2::bigint + n * 10, 'bench', 'bench.leaf', 'bench', 'success',
                    '', '{}', '[]', '[]',
                    substring($3::bytea FROM n * 32 + 1 FOR 32),
                    substring($3::bytea FROM n * 32 + 33 FOR 32)
               FROM generate_series(0, $4::int - 1) AS n`,
          [start, BASE_TIME + start * 10, hashes, count],
        );
      } else {
        for (let i = start; i < start + count; i++) {
          await tx.execute(
            `INSERT INTO audit_log_entries VALUES ($1, $2, 'bench', 'bench.leaf', 'bench', 'success',
               '', '{}', '[]', '[]', $3, $4)`,
            [i, BASE_TIME + i * 10, previous(i).slice(), tree.leafHash(i).slice()],
          );
        }
      }
    });
  }
  await loadNodes(db, tree);
  await setHead(db, tree, BASE_TIME + (size - 1) * 10);
}

type Summary = { p50Ms: number; p99Ms: number };

interface ProofResult {
  leaves: number;
  leafKind: string;
  loadSeconds: number;
  inclusionGenerate: Summary;
  inclusionVerify: Summary;
  consistencyGenerate: Summary;
  consistencyVerify: Summary;
}

interface LogResult {
  buildSeconds: number;
  buildMethod: string;
  appendAfterBuildPerSec: number;
  queries: Record<string, Summary>;
}

/** Proof generation from the store and verification, at the store's size. */
async function proofs(store: SqlAuditStore, expectedRoot: Uint8Array | undefined) {
  const size = await store.size();
  const root = await treeRoot(hasher, store, size);
  if (expectedRoot !== undefined && !Buffer.from(root).equals(Buffer.from(expectedRoot))) {
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
  return {
    inclusionGenerate: summary(incGen),
    inclusionVerify: summary(incVer),
    consistencyGenerate: summary(conGen),
    consistencyVerify: summary(conVer),
  };
}

/** Builds the log of real entries (step 2). */
async function buildLog(db: SqlDatabase, log: MemoryAuditLog | undefined): Promise<SqlAuditStore> {
  const store = await SqlAuditStore.open(db, provider);
  if (log === undefined) {
    for (let done = 0; done < total; done += 10_000) {
      const count = Math.min(10_000, total - done);
      await store.append(Array.from({ length: count }, (_, j) => input(done + j)));
    }
  } else {
    await bulkLoad(db, log);
  }
  await db.executeScript('ANALYZE');
  const size = await store.size();
  if (size !== total) throw new Error(`store has ${size} entries, expected ${total}`);
  return store;
}

/** Appends on top of the built log, then queries (step 2). */
async function appendAndQuery(
  store: SqlAuditStore,
): Promise<Omit<LogResult, 'buildSeconds' | 'buildMethod'>> {
  const size = await store.size();
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
    'recent window': () => {
      // A minute ending in the last 30 s of the log.
      const at = now - 60_000 - random(30_000);
      return { sinceMs: at, untilMs: at + 60_000 };
    },
    'old window': () => {
      const at = BASE_TIME + random(size) * 10;
      return { sinceMs: at, untilMs: at + 60_000 };
    },
    'old window+agent': () => {
      const at = BASE_TIME + random(size) * 10;
      return { agentId: `agent-${random(AGENTS)}`, sinceMs: at, untilMs: at + 60_000 };
    },
  };
  const mayBeEmpty = new Set(['agent+denied', 'old window+agent']);
  const queries: Record<string, Summary> = {};
  for (const [name, make] of Object.entries(shapes)) {
    const samples: number[] = [];
    for (let i = 0; i < queryCount; i++) {
      const query = make();
      const t = performance.now();
      const page = await store.query(query);
      samples.push(performance.now() - t);
      if (page.entries.length === 0 && !mayBeEmpty.has(name)) {
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
  return { appendAfterBuildPerSec, queries };
}

const benchStart = performance.now();
const dir = mkdtempSync(join(tmpdir(), 'pm-audit-bench-'));
const result: Record<string, unknown> = {
  bench: 'audit-store',
  entries: total,
  proofLeaves: proofLeaves === 0 ? total : proofLeaves,
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
  let tree: MemoryMerkleTree | undefined;
  if (proofLeaves > 0) {
    const t = performance.now();
    tree = leafTree(proofLeaves);
    result.leafTreeBuildSeconds = Math.round(performance.now() - t) / 1000;
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
    let t = performance.now();
    const store = await buildLog(big.db, log);
    const buildSeconds = Math.round(performance.now() - t) / 1000;
    let proofResult: ProofResult | undefined;
    if (tree === undefined) {
      // Proofs on the log of real entries, at its built size (before the appends on top).
      proofResult = {
        leaves: total,
        leafKind: 'encoded entries',
        loadSeconds: buildSeconds,
        ...(await proofs(store, log?.tree.rootHash())),
      };
    }
    const logResult: LogResult = {
      buildSeconds,
      buildMethod:
        log === undefined ? 'append (batches of 10,000)' : 'bulk insert of memory-built log',
      ...(await appendAndQuery(store)),
    };
    await big.drop();
    await big.db.close();
    if (tree !== undefined) {
      const leaves = await target.open();
      t = performance.now();
      const proofStore = await SqlAuditStore.open(leaves.db, provider);
      await loadLeafTree(leaves.db, tree);
      await leaves.db.executeScript('ANALYZE');
      proofResult = {
        leaves: tree.size(),
        leafKind: 'hashes of u64be(i)',
        loadSeconds: Math.round(performance.now() - t) / 1000,
        ...(await proofs(proofStore, tree.rootHash())),
      };
      await leaves.drop();
      await leaves.db.close();
    }
    if (proofResult === undefined) throw new Error('no proof measurement');
    result[target.name] = { appendPerSec: append, log: logResult, proofs: proofResult };

    console.log(`${target.name}:`);
    console.log(
      `  append through the store (entries/s by batch size): ${Object.entries(append)
        .map(([k, v]) => `${k.replace('batch', '')}: ${v}`)
        .join(', ')}`,
    );
    console.log(
      `  log of ${total} entries built in ${logResult.buildSeconds} s (${logResult.buildMethod})`,
    );
    console.log(
      `  append on top of it: ${logResult.appendAfterBuildPerSec} entries/s (batches of 100)`,
    );
    for (const [name, s] of Object.entries(logResult.queries)) {
      console.log(`  ${`query ${name}`.padEnd(26)} p50 ${s.p50Ms} ms   p99 ${s.p99Ms} ms`);
    }
    console.log(
      `  proofs at ${proofResult.leaves} leaves (${proofResult.leafKind}, stored in ${proofResult.loadSeconds} s):`,
    );
    for (const [name, s] of [
      ['inclusion generate', proofResult.inclusionGenerate],
      ['inclusion verify', proofResult.inclusionVerify],
      ['consistency generate', proofResult.consistencyGenerate],
      ['consistency verify', proofResult.consistencyVerify],
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
