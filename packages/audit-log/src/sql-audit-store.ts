/**
 * The AuditStore on SqlDatabase: node:sqlite for the embedded platform, PostgreSQL for the
 * distributed one, the same SQL for both (schema in audit-migrations.ts).
 *
 * Concurrency: an append runs in one transaction that first locks the single head row
 * (`SELECT … FOR UPDATE` on PostgreSQL; on SQLite the transaction's BEGIN IMMEDIATE already holds
 * the database's write lock). Holding it, the append reads the size and last hash, the right edge
 * of the tree (at most log2(n) stored nodes), computes the new entries, their hashes and the
 * subtrees they complete, writes them all and moves the head. Another instance's append waits on
 * the lock and, at READ COMMITTED, then reads the head and nodes the first one committed. So
 * sequence, chain and tree stay one history however many processes append; the primary keys on
 * sequence and (level, index) are the backstop that makes a broken lock fail instead of fork.
 * Under the same lock each entry's time is raised to the previous entry's when it is earlier
 * (the head keeps the last time), so times never decrease along the log, whatever the clocks of
 * the appending processes: a time window of a query is then a sequence range.
 *
 * Reads take no lock: entries and nodes never change once committed, and the head only grows,
 * so a proof for a size read earlier is always answerable. Node lookups issued together (as
 * proof generation does) are answered by one query per kind.
 */
import {
  type CryptoProvider,
  defaultProvider,
  equalBytes,
  fromHex,
  toHex,
} from '@proof-messenger/crypto';
import { InternalError, InvalidArgumentError, NotFoundError } from '@proof-messenger/errors';
import {
  isUniqueViolation,
  migrate,
  type SqlDatabase,
  type SqlValue,
  valuesList,
} from '@proof-messenger/storage';
import { type AuditEntry, type AuditOutcome, auditEntryHash } from './audit-entry.ts';
import { auditMigrations } from './audit-migrations.ts';
import {
  type AuditPage,
  type AuditQuery,
  encodePageToken,
  type NormalizedAuditQuery,
  normalizeAuditQuery,
} from './audit-query.ts';
import { AUDIT_STORE_LIMITS, type AuditStore, type CheckpointSaveResult } from './audit-store.ts';
import { encodeCheckpoint, type SignedCheckpoint } from './checkpoint.ts';
import { checkHash, checkIndex } from './internal/checks.ts';
import { type NodeCoordinate, rangeNodes } from './internal/tree-plan.ts';
import type { AuditEntryInput } from './memory-audit-log.ts';
import { MerkleHasher } from './merkle-hasher.ts';
import { treeRoot } from './merkle-proofs.ts';

interface EntryRow {
  sequence: number;
  time_ms: number;
  actor: string;
  action: string;
  target: string;
  outcome: string;
  reason: string;
  details: string;
  message_ids: string;
  message_hashes: string;
  previous_hash: Uint8Array;
}

interface CheckpointRow {
  tree_size: number;
  root_hash: Uint8Array;
  time_ms: number;
  key_id: string;
  ml_dsa65_signature: Uint8Array;
  ed25519_signature: Uint8Array;
}

const ENTRY_COLUMNS =
  'sequence, time_ms, actor, action, target, outcome, reason, details, message_ids, message_hashes, previous_hash';
const CHECKPOINT_COLUMNS =
  'tree_size, root_hash, time_ms, key_id, ml_dsa65_signature, ed25519_signature';

/**
 * Rows per INSERT: PostgreSQL pays a round trip per statement, so many rows go in one; node:sqlite
 * runs in-process, where one cached single-row statement is about twice as fast as a multi-row one.
 */
const INSERT_CHUNK = { postgres: 500, sqlite: 1 } as const;
/** Hashes per lookup query. */
const LOOKUP_CHUNK = 400;

/** Serializes checkpoint saves across PostgreSQL instances without blocking appends. */
const CHECKPOINT_LOCK = `SELECT pg_advisory_xact_lock(
  hashtext('proof-messenger/audit-log-checkpoints/' || COALESCE(current_schema(), '')))`;

/**
 * Short INSERT statements by table and row count, built once (SQLite inserts one row per
 * statement, per entry and node). Long ones (PostgreSQL's chunks) are built per call: caching
 * every row count up to 500 would hold megabytes of SQL text.
 */
const insertStatements = new Map<string, string>();
const CACHED_INSERT_ROWS = 8;

function insertSql(table: string, columns: string, columnCount: number, rows: number): string {
  const key = `${table}/${rows}`;
  const cached = insertStatements.get(key);
  if (cached !== undefined) return cached;
  const sql = `INSERT INTO ${table} (${columns}) VALUES ${valuesList(rows, columnCount)}`;
  if (rows <= CACHED_INSERT_ROWS) insertStatements.set(key, sql);
  return sql;
}

function toEntry(row: EntryRow): AuditEntry {
  return {
    sequence: row.sequence,
    timeMs: row.time_ms,
    actor: row.actor,
    action: row.action,
    target: row.target,
    outcome: row.outcome as AuditOutcome,
    reason: row.reason,
    details: JSON.parse(row.details) as Record<string, string>,
    messageIds: JSON.parse(row.message_ids) as string[],
    messageHashes: (JSON.parse(row.message_hashes) as string[]).map(fromHex),
    previousHash: row.previous_hash,
  };
}

function toCheckpoint(row: CheckpointRow): SignedCheckpoint {
  return {
    treeSize: row.tree_size,
    rootHash: row.root_hash,
    timeMs: row.time_ms,
    keyId: row.key_id,
    signature: { mlDsa65: row.ml_dsa65_signature, ed25519: row.ed25519_signature },
  };
}

/** A stored entry built from an input: only the entry's fields, copied, at its time. */
function entryOf(
  input: AuditEntryInput,
  sequence: number,
  timeMs: number,
  previousHash: Uint8Array,
): AuditEntry {
  return {
    sequence,
    timeMs,
    actor: input.actor,
    action: input.action,
    target: input.target,
    outcome: input.outcome,
    reason: input.reason,
    details: { ...input.details },
    messageIds: [...input.messageIds],
    messageHashes: input.messageHashes.map((hash) => hash.slice()),
    previousHash,
  };
}

function checkInputs(inputs: readonly AuditEntryInput[]): void {
  if (!Array.isArray(inputs)) {
    throw new InvalidArgumentError('inputs must be an array of audit entries', {
      field: 'inputs',
    });
  }
  if (inputs.length > AUDIT_STORE_LIMITS.maxAppendBatch) {
    throw new InvalidArgumentError(
      `at most ${AUDIT_STORE_LIMITS.maxAppendBatch} entries can be appended at once, got ${inputs.length}; split the batch`,
      { field: 'inputs' },
    );
  }
  for (const [i, input] of inputs.entries()) {
    atInput(i, () => {
      if (typeof input !== 'object' || input === null) {
        throw new InvalidArgumentError('audit entry must be an object');
      }
      // The sequencer raises times (Math.max), which would hide a negative or non-numeric one;
      // every other field is checked by the encoding in the append itself, before any write.
      checkIndex('timeMs', input.timeMs);
    });
  }
}

/**
 * Runs `work` for `inputs[index]`, naming that input in an InvalidArgumentError it throws.
 * Entries are encoded once, in the append: a malformed field throws there, inside the
 * transaction and before any INSERT, so nothing is written.
 */
function atInput<T>(index: number, work: () => T): T {
  try {
    return work();
  } catch (error) {
    if (!(error instanceof InvalidArgumentError)) throw error;
    throw new InvalidArgumentError(`inputs[${index}]: ${error.message}`, {
      field: error.field === '' ? `inputs[${index}]` : `inputs[${index}].${error.field}`,
      cause: error,
    });
  }
}

interface PendingLookup {
  readonly level: number;
  readonly index: number;
  readonly resolve: (hash: Uint8Array) => void;
  readonly reject: (error: unknown) => void;
}

/**
 * Reads the hashes of `nodes` (level 0 from the entries, higher levels from the node table) in
 * one query per kind and chunk; in the order asked.
 * @throws NotFoundError when one of them is not stored
 */
async function readHashes(
  db: SqlDatabase,
  nodes: readonly NodeCoordinate[],
): Promise<Uint8Array[]> {
  const found = new Map<string, Uint8Array>();
  const key = (level: number, index: number) => `${level}:${index}`;
  const leaves = [...new Set(nodes.filter((n) => n.level === 0).map((n) => n.index))];
  const inner = [
    ...new Map(nodes.filter((n) => n.level > 0).map((n) => [key(n.level, n.index), n])).values(),
  ];
  const reads: Promise<void>[] = [];
  for (let i = 0; i < leaves.length; i += LOOKUP_CHUNK) {
    const chunk = leaves.slice(i, i + LOOKUP_CHUNK);
    reads.push(
      db
        .query<{ sequence: number; leaf_hash: Uint8Array }>(
          `SELECT sequence, leaf_hash FROM audit_log_entries WHERE sequence IN ${valuesList(1, chunk.length)}`,
          chunk,
        )
        .then((rows) => {
          for (const row of rows) found.set(key(0, row.sequence), row.leaf_hash);
        }),
    );
  }
  for (let i = 0; i < inner.length; i += LOOKUP_CHUNK) {
    const chunk = inner.slice(i, i + LOOKUP_CHUNK);
    const where = chunk.map((_, j) => `(level = $${2 * j + 1} AND idx = $${2 * j + 2})`);
    reads.push(
      db
        .query<{ level: number; idx: number; hash: Uint8Array }>(
          `SELECT level, idx, hash FROM audit_log_nodes WHERE ${where.join(' OR ')}`,
          chunk.flatMap((n) => [n.level, n.index]),
        )
        .then((rows) => {
          for (const row of rows) found.set(key(row.level, row.idx), row.hash);
        }),
    );
  }
  await Promise.all(reads);
  return nodes.map(({ level, index }) => {
    const hash = found.get(key(level, index));
    if (hash === undefined) {
      throw new NotFoundError(
        level === 0
          ? `the audit log has no entry ${index}`
          : `the audit log has no complete subtree at level ${level}, index ${index}`,
        { field: level === 0 ? 'index' : 'level' },
      );
    }
    return hash;
  });
}

/** The sequences [from, below) a query may match; below undefined: up to the end of the log. */
interface SequenceRange {
  readonly from: number;
  readonly below: number | undefined;
}

/** The SQL conditions and parameters of a normalized query, except agent and action. */
function conditions(
  query: NormalizedAuditQuery,
  range: SequenceRange,
  params: SqlValue[],
): string[] {
  const where: string[] = [];
  const param = (value: SqlValue) => {
    params.push(value);
    return `$${params.length}`;
  };
  if (range.from > 0) where.push(`sequence >= ${param(range.from)}`);
  if (range.below !== undefined) where.push(`sequence < ${param(range.below)}`);
  if (query.outcome !== undefined) where.push(`outcome = ${param(query.outcome)}`);
  return where;
}

/** The first entry at or after a time: one descent of the (time_ms, sequence) index. */
function firstSequenceAt(timeParam: string): string {
  return `(SELECT sequence FROM audit_log_entries WHERE time_ms >= ${timeParam} ORDER BY time_ms, sequence LIMIT 1)`;
}

/** More action names than this are filtered in one scan instead of one scan per name. */
const MAX_ACTION_SCANS = 64;

/** The audit log stored in a SqlDatabase (SQLite or PostgreSQL). */
export class SqlAuditStore implements AuditStore {
  readonly #db: SqlDatabase;
  readonly #hasher: MerkleHasher;
  #pending: PendingLookup[] = [];

  /**
   * A store on an already migrated database (see `open`). `hasher` defaults to SHA-256 of the
   * runtime's default provider.
   */
  constructor(db: SqlDatabase, hasher: MerkleHasher = new MerkleHasher(defaultProvider())) {
    this.#db = db;
    this.#hasher = hasher;
  }

  /** Applies the audit migrations to `db` (idempotent; safe from several instances) and opens. */
  static async open(db: SqlDatabase, provider?: CryptoProvider): Promise<SqlAuditStore> {
    await migrate(db, auditMigrations);
    return new SqlAuditStore(db, new MerkleHasher(provider ?? defaultProvider()));
  }

  async append(inputs: readonly AuditEntryInput[]): Promise<AuditEntry[]> {
    checkInputs(inputs);
    if (inputs.length === 0) return [];
    try {
      return await this.#db.transaction((tx) => this.#appendIn(tx, inputs));
    } catch (error) {
      if (!isUniqueViolation(error)) throw error;
      // Only possible if the head row was changed outside this store: refuse to fork the log.
      throw new InternalError(
        'the audit log head is behind its stored entries; the database was modified outside the audit store',
        { cause: error },
      );
    }
  }

  async #appendIn(tx: SqlDatabase, inputs: readonly AuditEntryInput[]): Promise<AuditEntry[]> {
    const lock = tx.dialect === 'postgres' ? ' FOR UPDATE' : '';
    const [head] = await tx.query<{ size: number; last_hash: Uint8Array; last_time_ms: number }>(
      `SELECT size, last_hash, last_time_ms FROM audit_log_head WHERE id = 1${lock}`,
    );
    if (head === undefined) {
      throw new InternalError('the audit log head row is missing; run the audit migrations');
    }
    const start = head.size;
    // The right edge of the tree: the perfect subtrees covering [0, start), largest first.
    const edge = rangeNodes(0, start);
    const edgeHashes = await readHashes(tx, edge);
    const stack = edge.map((node, i) => ({ ...node, hash: edgeHashes[i] as Uint8Array }));

    const entries: AuditEntry[] = [];
    const leafHashes: Uint8Array[] = [];
    const nodes: { level: number; index: number; hash: Uint8Array }[] = [];
    let previous = head.last_hash;
    let lastTime = head.last_time_ms;
    for (const [i, input] of inputs.entries()) {
      // Never earlier than the entry before: another process's clock may be ahead of ours.
      lastTime = Math.max(input.timeMs, lastTime);
      // Hash (and so validate) the caller's fields first; copy them only once they are sound.
      const hash = atInput(i, () =>
        auditEntryHash(this.#hasher, {
          ...input,
          sequence: start + i,
          timeMs: lastTime,
          previousHash: previous,
        }),
      );
      const entry = entryOf(input, start + i, lastTime, previous);
      entries.push(entry);
      leafHashes.push(hash);
      previous = hash;
      // Push the leaf and merge equal-level neighbours: each merge is a newly complete subtree.
      stack.push({ level: 0, index: start + i, hash });
      for (;;) {
        const right = stack[stack.length - 1];
        const left = stack[stack.length - 2];
        if (right === undefined || left === undefined || left.level !== right.level) break;
        const parent = {
          level: left.level + 1,
          index: left.index / 2,
          hash: this.#hasher.hashChildren(left.hash, right.hash),
        };
        stack.splice(stack.length - 2, 2, parent);
        nodes.push(parent);
      }
    }

    const chunkSize = INSERT_CHUNK[tx.dialect];
    for (let i = 0; i < entries.length; i += chunkSize) {
      const chunk = entries.slice(i, i + chunkSize);
      const params: SqlValue[] = [];
      for (const [j, entry] of chunk.entries()) {
        params.push(
          entry.sequence,
          entry.timeMs,
          entry.actor,
          entry.action,
          entry.target,
          entry.outcome,
          entry.reason,
          JSON.stringify(entry.details),
          JSON.stringify(entry.messageIds),
          JSON.stringify(entry.messageHashes.map(toHex)),
          entry.previousHash,
          leafHashes[i + j] as Uint8Array,
        );
      }
      await tx.execute(
        insertSql('audit_log_entries', `${ENTRY_COLUMNS}, leaf_hash`, 12, chunk.length),
        params,
      );
    }
    for (let i = 0; i < nodes.length; i += chunkSize) {
      const chunk = nodes.slice(i, i + chunkSize);
      await tx.execute(
        insertSql('audit_log_nodes', 'level, idx, hash', 3, chunk.length),
        chunk.flatMap((node) => [node.level, node.index, node.hash]),
      );
    }
    const actions = [...new Set(entries.map((entry) => entry.action))];
    await tx.execute(
      `INSERT INTO audit_log_actions (action) VALUES ${valuesList(actions.length, 1)}
        ON CONFLICT (action) DO NOTHING`,
      actions,
    );
    await tx.execute(
      'UPDATE audit_log_head SET size = $1, last_hash = $2, last_time_ms = $3 WHERE id = 1',
      [start + entries.length, previous, lastTime],
    );
    return entries;
  }

  async size(): Promise<number> {
    const [head] = await this.#db.query<{ size: number }>(
      'SELECT size FROM audit_log_head WHERE id = 1',
    );
    if (head === undefined) {
      throw new InternalError('the audit log head row is missing; run the audit migrations');
    }
    return head.size;
  }

  async entries(start: number, count: number): Promise<AuditEntry[]> {
    checkIndex('start', start);
    checkIndex('count', count);
    if (count > AUDIT_STORE_LIMITS.maxReadBatch) {
      throw new InvalidArgumentError(
        `count must be at most ${AUDIT_STORE_LIMITS.maxReadBatch}, got ${count}; read in pages`,
        { field: 'count' },
      );
    }
    if (count === 0) return [];
    const rows = await this.#db.query<EntryRow>(
      `SELECT ${ENTRY_COLUMNS} FROM audit_log_entries
        WHERE sequence >= $1 AND sequence < $2 ORDER BY sequence`,
      [start, start + count],
    );
    return rows.map(toEntry);
  }

  leafHash(index: number): Promise<Uint8Array> {
    return this.nodeHash(0, index);
  }

  nodeHash(level: number, index: number): Promise<Uint8Array> {
    try {
      checkIndex('level', level);
      checkIndex('index', index);
    } catch (error) {
      return Promise.reject(error);
    }
    return new Promise((resolve, reject) => {
      // Lookups made in one synchronous pass (proof generation asks for all its nodes at once)
      // are collected and answered together.
      if (this.#pending.length === 0) queueMicrotask(() => this.#lookUp());
      this.#pending.push({ level, index, resolve, reject });
    });
  }

  #lookUp(): void {
    const batch = this.#pending;
    this.#pending = [];
    readHashes(this.#db, batch).then(
      (hashes) => {
        for (const [i, lookup] of batch.entries()) lookup.resolve(hashes[i] as Uint8Array);
      },
      async (error: unknown) => {
        if (!(error instanceof NotFoundError)) {
          for (const lookup of batch) lookup.reject(error);
          return;
        }
        // One is missing: answer each alone so only the missing ones fail.
        for (const lookup of batch) {
          readHashes(this.#db, [lookup]).then(
            ([hash]) => lookup.resolve(hash as Uint8Array),
            lookup.reject,
          );
        }
      },
    );
  }

  /** The exact action names a query's action filter stands for; undefined: no filter. */
  async #actionNames(query: NormalizedAuditQuery): Promise<string[] | undefined> {
    if (query.exactActions.length === 0 && query.actionPrefixes.length === 0) return undefined;
    const names = new Set(query.exactActions);
    if (query.actionPrefixes.length > 0) {
      // 'message.' ≤ action < 'message/': '/' is the code point after '.', compared bytewise.
      const ranges = query.actionPrefixes.map(
        (_, i) => `(action >= $${2 * i + 1} AND action < $${2 * i + 2})`,
      );
      const rows = await this.#db.query<{ action: string }>(
        `SELECT action FROM audit_log_actions WHERE ${ranges.join(' OR ')}`,
        query.actionPrefixes.flatMap((prefix) => [prefix, `${prefix.slice(0, -1)}/`]),
      );
      for (const row of rows) names.add(row.action);
    }
    return [...names];
  }

  /**
   * The sequences a query's time window and page token allow. Times never decrease along the
   * log (see append), so [sinceMs, untilMs) is the sequences from the first entry at or after
   * sinceMs to the first at or after untilMs: two index descents, after which every scan is a
   * range of sequences instead of a filter on time the planner cannot bound.
   */
  async #sequenceRange(query: NormalizedAuditQuery): Promise<SequenceRange | undefined> {
    const { sinceMs, untilMs } = query;
    let from = 0;
    let below = query.beforeSequence;
    if (sinceMs !== undefined || untilMs !== undefined) {
      const params: SqlValue[] = [];
      const firstAt = (timeMs: number | undefined) => {
        if (timeMs === undefined) return 'NULL';
        params.push(timeMs);
        return firstSequenceAt(`$${params.length}`);
      };
      const [row] = await this.#db.query<{ since_seq: number | null; until_seq: number | null }>(
        `SELECT ${firstAt(sinceMs)} AS since_seq, ${firstAt(untilMs)} AS until_seq`,
        params,
      );
      const sinceSeq = row?.since_seq ?? null;
      const untilSeq = row?.until_seq ?? null;
      if (sinceMs !== undefined) {
        if (sinceSeq === null) return undefined; // no entry at or after sinceMs
        from = sinceSeq;
      }
      if (untilSeq !== null) below = Math.min(below ?? untilSeq, untilSeq);
    }
    return below !== undefined && below <= from ? undefined : { from, below };
  }

  async query(query: AuditQuery): Promise<AuditPage> {
    const normalized = normalizeAuditQuery(query);
    const [actions, range] = await Promise.all([
      this.#actionNames(normalized),
      this.#sequenceRange(normalized),
    ]);
    if ((actions !== undefined && actions.length === 0) || range === undefined) {
      return { entries: [], nextPageToken: '' };
    }
    const params: SqlValue[] = [];
    const where = conditions(normalized, range, params);
    const param = (value: SqlValue) => {
      params.push(value);
      return `$${params.length}`;
    };
    const limit = param(normalized.pageSize + 1);
    // Each filter on an indexed column becomes its own backward range scan over (column,
    // sequence), limited to one page and merged by sequence: an OR (actor or target, several
    // actions) or a range (a prefix) would otherwise make the database read every match, or
    // scan the log from its end for a rare one.
    const scans: string[][] = [];
    if (normalized.agentId !== undefined) {
      const agent = param(normalized.agentId);
      const byAction =
        actions === undefined ? [] : [`action IN (${actions.map((a) => param(a)).join(', ')})`];
      scans.push([`actor = ${agent}`, ...byAction], [`target = ${agent}`, ...byAction]);
    } else if (actions !== undefined && actions.length <= MAX_ACTION_SCANS) {
      for (const action of actions) scans.push([`action = ${param(action)}`]);
    } else if (actions !== undefined) {
      where.push(`action IN (${actions.map((a) => param(a)).join(', ')})`);
    }
    let sql: string;
    if (scans.length === 0) {
      sql = `SELECT ${ENTRY_COLUMNS} FROM audit_log_entries
        ${where.length > 0 ? `WHERE ${where.join(' AND ')}` : ''}
        ORDER BY sequence DESC LIMIT ${limit}`;
    } else {
      const union = scans
        .map(
          (terms, i) => `SELECT sequence FROM (SELECT sequence FROM audit_log_entries
            WHERE ${[...terms, ...where].join(' AND ')}
            ORDER BY sequence DESC LIMIT ${limit}) AS scan${i}`,
        )
        .join(' UNION ');
      sql = `SELECT ${ENTRY_COLUMNS} FROM audit_log_entries WHERE sequence IN (${union})
        ORDER BY sequence DESC LIMIT ${limit}`;
    }
    const rows = await this.#db.query<EntryRow>(sql, params);
    const entries = rows.slice(0, normalized.pageSize).map(toEntry);
    const last = entries[entries.length - 1];
    return {
      entries,
      nextPageToken:
        rows.length > normalized.pageSize && last !== undefined
          ? encodePageToken(last.sequence)
          : '',
    };
  }

  async saveCheckpoint(checkpoint: SignedCheckpoint): Promise<CheckpointSaveResult> {
    encodeCheckpoint(checkpoint);
    if (typeof checkpoint.keyId !== 'string' || checkpoint.keyId === '') {
      throw new InvalidArgumentError('checkpoint keyId must be a non-empty string', {
        field: 'keyId',
      });
    }
    const signature = checkpoint.signature;
    if (
      typeof signature !== 'object' ||
      signature === null ||
      !(signature.mlDsa65 instanceof Uint8Array) ||
      !(signature.ed25519 instanceof Uint8Array)
    ) {
      throw new InvalidArgumentError(
        'checkpoint signature must have mlDsa65 and ed25519 Uint8Arrays',
        { field: 'signature' },
      );
    }
    checkHash('rootHash', checkpoint.rootHash);
    const size = await this.size();
    if (checkpoint.treeSize > size) {
      throw new InvalidArgumentError(
        `checkpoint tree size ${checkpoint.treeSize} exceeds the log's ${size} entries`,
        { field: 'treeSize' },
      );
    }
    // Nodes never change, so the root at this size can be checked outside the transaction.
    const root = await treeRoot(this.#hasher, this, checkpoint.treeSize);
    if (!equalBytes(root, checkpoint.rootHash)) {
      throw new InvalidArgumentError(
        `checkpoint root does not match the log's root at tree size ${checkpoint.treeSize}`,
        { field: 'rootHash' },
      );
    }
    return this.#db.transaction(async (tx) => {
      if (tx.dialect === 'postgres') await tx.query(CHECKPOINT_LOCK);
      const same = await tx.query(
        'SELECT 1 AS found FROM audit_log_checkpoints WHERE tree_size = $1',
        [checkpoint.treeSize],
      );
      if (same.length > 0) return 'duplicate';
      const later = await tx.query(
        'SELECT 1 AS found FROM audit_log_checkpoints WHERE tree_size > $1 OR time_ms > $2 LIMIT 1',
        [checkpoint.treeSize, checkpoint.timeMs],
      );
      if (later.length > 0) return 'out-of-order';
      await tx.execute(
        `INSERT INTO audit_log_checkpoints (${CHECKPOINT_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6)`,
        [
          checkpoint.treeSize,
          checkpoint.rootHash,
          checkpoint.timeMs,
          checkpoint.keyId,
          signature.mlDsa65,
          signature.ed25519,
        ],
      );
      return 'stored';
    });
  }

  async latestCheckpoint(): Promise<SignedCheckpoint | undefined> {
    const [row] = await this.#db.query<CheckpointRow>(
      `SELECT ${CHECKPOINT_COLUMNS} FROM audit_log_checkpoints ORDER BY tree_size DESC LIMIT 1`,
    );
    return row === undefined ? undefined : toCheckpoint(row);
  }

  async checkpointAt(treeSize: number): Promise<SignedCheckpoint | undefined> {
    checkIndex('treeSize', treeSize);
    const [row] = await this.#db.query<CheckpointRow>(
      `SELECT ${CHECKPOINT_COLUMNS} FROM audit_log_checkpoints WHERE tree_size = $1`,
      [treeSize],
    );
    return row === undefined ? undefined : toCheckpoint(row);
  }

  async listCheckpoints(afterSize: number, limit: number): Promise<SignedCheckpoint[]> {
    checkIndex('afterSize', afterSize);
    checkIndex('limit', limit);
    if (limit < 1 || limit > AUDIT_STORE_LIMITS.maxCheckpointList) {
      throw new InvalidArgumentError(
        `limit must be from 1 to ${AUDIT_STORE_LIMITS.maxCheckpointList}, got ${limit}`,
        { field: 'limit' },
      );
    }
    const rows = await this.#db.query<CheckpointRow>(
      `SELECT ${CHECKPOINT_COLUMNS} FROM audit_log_checkpoints
        WHERE tree_size > $1 ORDER BY tree_size LIMIT $2`,
      [afterSize, limit],
    );
    return rows.map(toCheckpoint);
  }
}
