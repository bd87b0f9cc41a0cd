/**
 * PolicyStore on SqlDatabase: `policy_versions` holds every text; the one-row `policy_active`
 * table is the pointer. Version numbers are assigned as max + 1 inside the transaction that
 * first locks the pointer row (`FOR UPDATE` on PostgreSQL; SQLite has a single writer), rather
 * than by a sequence, so they have no gaps and two instances publishing at once serialize.
 */
import { InvalidArgumentError, NotFoundError } from '@proof-messenger/errors';
import { type Migration, migrate, type SqlDatabase } from '@proof-messenger/storage';
import { sha256Hex } from './internal/sha256.ts';
import type {
  ActivePolicyPointer,
  PolicyDraft,
  PolicyStore,
  PolicyVersionPage,
  PolicyVersionRecord,
  PolicyVersionSummary,
} from './policy-store.ts';

const VERSIONS_DDL = `CREATE TABLE policy_versions (
  version BIGINT PRIMARY KEY,
  text TEXT NOT NULL,
  sha256 TEXT NOT NULL,
  author TEXT NOT NULL,
  comment TEXT NOT NULL,
  created_at_ms BIGINT NOT NULL
);
CREATE TABLE policy_active (
  id INTEGER PRIMARY KEY CHECK (id = 1),
  version BIGINT REFERENCES policy_versions (version),
  changed_at_ms BIGINT NOT NULL,
  changed_by TEXT NOT NULL
);
INSERT INTO policy_active (id, version, changed_at_ms, changed_by) VALUES (1, NULL, 0, '');`;

/** The policy store's migrations (ids `policy-…`), for both dialects. */
export const policyMigrations: readonly Migration[] = [
  { id: 'policy-0001-versions', sqlite: VERSIONS_DDL, postgres: VERSIONS_DDL },
];

/** Applies the policy store's migrations. */
export async function migratePolicyStore(db: SqlDatabase): Promise<string[]> {
  return migrate(db, policyMigrations);
}

interface VersionRow {
  version: number;
  text?: string;
  sha256: string;
  author: string;
  comment: string;
  created_at_ms: number;
  active: number | boolean;
}

interface PointerRow {
  version: number | null;
  changed_at_ms: number;
  changed_by: string;
}

const SUMMARY_COLUMNS = `v.version, v.sha256, v.author, v.comment, v.created_at_ms,
  CASE WHEN v.version = (SELECT version FROM policy_active WHERE id = 1) THEN 1 ELSE 0 END AS active`;

function summary(row: VersionRow): PolicyVersionSummary {
  return {
    version: Number(row.version),
    sha256: row.sha256,
    author: row.author,
    comment: row.comment,
    createdAtMs: Number(row.created_at_ms),
    active: Number(row.active) === 1,
  };
}

/** The SQL PolicyStore (run `migratePolicyStore` first). */
export class SqlPolicyStore implements PolicyStore {
  readonly #db: SqlDatabase;

  constructor(db: SqlDatabase) {
    this.#db = db;
  }

  async publish(draft: PolicyDraft): Promise<PolicyVersionRecord> {
    return this.#db.transaction(async (tx) => {
      await this.#lockPointer(tx);
      return this.#insert(tx, draft);
    });
  }

  async bootstrap(draft: PolicyDraft): Promise<boolean> {
    return this.#db.transaction(async (tx) => {
      await this.#lockPointer(tx);
      const any = await tx.query('SELECT version FROM policy_versions LIMIT 1');
      if (any.length > 0) return false;
      await this.#insert(tx, draft);
      return true;
    });
  }

  async activate(version: number, changedBy: string, atMs: number): Promise<ActivePolicyPointer> {
    return this.#db.transaction(async (tx) => {
      await this.#lockPointer(tx);
      const found = await tx.query('SELECT version FROM policy_versions WHERE version = $1', [
        version,
      ]);
      if (found.length === 0) {
        throw new NotFoundError(`policy version ${version} is not stored`, { field: 'version' });
      }
      await tx.execute(
        'UPDATE policy_active SET version = $1, changed_at_ms = $2, changed_by = $3 WHERE id = 1',
        [version, atMs, changedBy],
      );
      return { version, changedAtMs: atMs, changedBy };
    });
  }

  async active(): Promise<ActivePolicyPointer | undefined> {
    const rows = await this.#db.query<PointerRow>(
      'SELECT version, changed_at_ms, changed_by FROM policy_active WHERE id = 1',
    );
    const row = rows[0];
    if (row === undefined || row.version === null) return undefined;
    return {
      version: Number(row.version),
      changedAtMs: Number(row.changed_at_ms),
      changedBy: row.changed_by,
    };
  }

  async get(version: number): Promise<PolicyVersionRecord | undefined> {
    if (!Number.isSafeInteger(version) || version < 1) return undefined;
    const rows = await this.#db.query<VersionRow>(
      `SELECT ${SUMMARY_COLUMNS}, v.text FROM policy_versions v WHERE v.version = $1`,
      [version],
    );
    const row = rows[0];
    return row === undefined ? undefined : { ...summary(row), text: row.text ?? '' };
  }

  async list(pageSize: number, pageToken: string): Promise<PolicyVersionPage> {
    if (!Number.isSafeInteger(pageSize) || pageSize < 0 || pageSize > 100) {
      throw new InvalidArgumentError(`page_size must be 0-100, got ${pageSize}`, {
        field: 'page_size',
      });
    }
    const size = pageSize === 0 ? 20 : pageSize;
    let before = Number.MAX_SAFE_INTEGER;
    if (pageToken !== '') {
      before = /^[1-9][0-9]{0,15}$/.test(pageToken) ? Number(pageToken) : Number.NaN;
      if (!Number.isSafeInteger(before)) {
        throw new InvalidArgumentError('page_token is not one this service issued', {
          field: 'page_token',
        });
      }
    }
    const rows = await this.#db.query<VersionRow>(
      `SELECT ${SUMMARY_COLUMNS} FROM policy_versions v WHERE v.version < $1
        ORDER BY v.version DESC LIMIT $2`,
      [before, size + 1],
    );
    const versions = rows.slice(0, size).map(summary);
    const last = versions.at(-1);
    return {
      versions,
      nextPageToken: rows.length > size && last !== undefined ? String(last.version) : '',
    };
  }

  async #lockPointer(tx: SqlDatabase): Promise<void> {
    const lock = tx.dialect === 'postgres' ? ' FOR UPDATE' : '';
    await tx.query(`SELECT id FROM policy_active WHERE id = 1${lock}`);
  }

  async #insert(tx: SqlDatabase, draft: PolicyDraft): Promise<PolicyVersionRecord> {
    const rows = await tx.query<{ next: number }>(
      'SELECT COALESCE(MAX(version), 0) + 1 AS next FROM policy_versions',
    );
    const version = Number(rows[0]?.next ?? 1);
    const sha256 = sha256Hex(draft.text);
    await tx.execute(
      `INSERT INTO policy_versions (version, text, sha256, author, comment, created_at_ms)
        VALUES ($1, $2, $3, $4, $5, $6)`,
      [version, draft.text, sha256, draft.author, draft.comment, draft.atMs],
    );
    await tx.execute(
      'UPDATE policy_active SET version = $1, changed_at_ms = $2, changed_by = $3 WHERE id = 1',
      [version, draft.atMs, draft.author],
    );
    return {
      version,
      sha256,
      author: draft.author,
      comment: draft.comment,
      createdAtMs: draft.atMs,
      active: true,
      text: draft.text,
    };
  }
}
