/**
 * The storage port of policy versions: every published text is kept forever under a version
 * number (1, 2, … without gaps), and one pointer names the active version, so a rollback is
 * moving the pointer, never rewriting a version. Implemented by `SqlPolicyStore` (node:sqlite
 * embedded, PostgreSQL distributed); one contract suite checks both.
 */

/** A version to store. */
export interface PolicyDraft {
  readonly text: string;
  /** `operator:<name>`, an agent id, or `system`. */
  readonly author: string;
  readonly comment: string;
  /** When it is published, ms since the Unix epoch. */
  readonly atMs: number;
}

/** A stored version without its text (listings). */
export interface PolicyVersionSummary {
  readonly version: number;
  /** SHA-256 of the text, lower-case hex. */
  readonly sha256: string;
  readonly author: string;
  readonly comment: string;
  readonly createdAtMs: number;
  /** Whether it is the active version at the time of reading. */
  readonly active: boolean;
}

/** A stored version with its text. */
export interface PolicyVersionRecord extends PolicyVersionSummary {
  readonly text: string;
}

/** The active-version pointer. */
export interface ActivePolicyPointer {
  readonly version: number;
  /** When the pointer last moved (publish or activate), ms since the Unix epoch. */
  readonly changedAtMs: number;
  /** Who moved it. */
  readonly changedBy: string;
}

/** One page of versions, newest first. */
export interface PolicyVersionPage {
  readonly versions: readonly PolicyVersionSummary[];
  /** Pass back for the next page; empty on the last page. */
  readonly nextPageToken: string;
}

/** Where policy versions live. */
export interface PolicyStore {
  /**
   * Stores `draft` as the next version and makes it active, atomically (concurrent publishers
   * get distinct consecutive versions).
   */
  publish(draft: PolicyDraft): Promise<PolicyVersionRecord>;
  /**
   * Publishes `draft` as version 1 only if no version exists yet (first start; safe when several
   * instances start at once). Resolves whether it did.
   */
  bootstrap(draft: PolicyDraft): Promise<boolean>;
  /**
   * Makes a stored version active.
   * @throws NotFoundError when `version` was never stored
   */
  activate(version: number, changedBy: string, atMs: number): Promise<ActivePolicyPointer>;
  /** The active pointer; undefined before the first publish. Cheap: instances poll it. */
  active(): Promise<ActivePolicyPointer | undefined>;
  /** One version with its text; undefined when not stored. */
  get(version: number): Promise<PolicyVersionRecord | undefined>;
  /**
   * Versions newest first.
   * @param pageSize 1-100; 0 means 20
   * @param pageToken empty for the first page, else a previous page's `nextPageToken`
   * @throws InvalidArgumentError for a page size out of range or a token not from this store
   */
  list(pageSize: number, pageToken: string): Promise<PolicyVersionPage>;
}
