/**
 * Managing policies: validate, publish (validate, refuse a lockout, store, activate, announce),
 * activate any stored version (rollback or roll forward), read. Who may call these is decided by
 * the policy itself (ReadPolicies / ManagePolicies on the Platform), checked by the service that
 * exposes them; this module only guarantees that an accepted text is valid against the schema
 * and that operators keep ManagePolicies, so a mistake can always be undone through the API.
 *
 * Every change and every refusal is audited (`policy.published`, `policy.activated`,
 * `policy.refused`) and announced: in-process to `onChange` listeners, and on Redis channel
 * `proof-messenger:policy-changed` when a client is given, so other instances reload at once
 * instead of at their next poll.
 */
import { AUDIT_ACTIONS, type AuditSink, DISCARD_AUDIT } from '@proof-messenger/audit-log';
import { InvalidArgumentError, NotFoundError, TooLargeError } from '@proof-messenger/errors';
import type { RedisClient } from '@proof-messenger/storage';
import { PLATFORM } from './authorizer.ts';
import { CedarAuthorizer } from './cedar-authorizer.ts';
import { type CedarEngine, wasmCedarEngine } from './cedar-engine.ts';
import { clip } from './internal/clip.ts';
import { splitPolicies, validateAgainstSchema } from './internal/compile-policy-set.ts';
import { sha256Hex } from './internal/sha256.ts';
import { POLICY_CHANGED_CHANNEL, type PolicyChangeSource } from './policy-change-source.ts';
import { PolicyLockoutError } from './policy-lockout-error.ts';
import { type PolicyLogger, SILENT_POLICY_LOGGER } from './policy-logger.ts';
import type { PolicyStore, PolicyVersionPage, PolicyVersionRecord } from './policy-store.ts';
import { loadDefaultPolicy, loadPolicySchema } from './policy-texts.ts';

/** Largest policy text accepted, in UTF-8 bytes. */
export const MAX_POLICY_BYTES = 1024 * 1024;
/** Longest comment accepted, in characters. */
export const MAX_COMMENT_CHARS = 1000;
/** The operator id the lockout probe asks about when the author is not an operator. */
export const LOCKOUT_PROBE_OPERATOR = 'lockout-probe';

/** The result of validating a policy text. */
export interface PolicyValidation {
  readonly valid: boolean;
  /** Cedar's messages (parse or schema validation), each naming the policy and line:column. */
  readonly errors: readonly string[];
  /** Policies in the text (0 when it does not parse). */
  readonly policyCount: number;
}

/** The active version with who activated it and when. */
export interface ActivePolicyVersion extends PolicyVersionRecord {
  readonly changedAtMs: number;
  readonly changedBy: string;
}

/** Who publishes and why. */
export interface PublishInput {
  /** `operator:<name>`, an agent id, or `system`. */
  readonly author: string;
  readonly comment?: string;
}

/** Options of PolicyAdministration. */
export interface PolicyAdministrationOptions {
  readonly store: PolicyStore;
  readonly audit?: AuditSink;
  readonly log?: PolicyLogger;
  /** Publishes change announcements to other instances (distributed mode). */
  readonly redis?: RedisClient;
  /** Redis channel (default `proof-messenger:policy-changed`). */
  readonly channel?: string;
  readonly engine?: CedarEngine;
  readonly now?: () => number;
}

/** Validates, versions and activates policies. */
export class PolicyAdministration implements PolicyChangeSource {
  readonly #store: PolicyStore;
  readonly #audit: AuditSink;
  readonly #log: PolicyLogger;
  readonly #redis: RedisClient | undefined;
  readonly #channel: string;
  readonly #engine: CedarEngine;
  readonly #now: () => number;
  readonly #listeners = new Set<(version: number) => void>();

  constructor(options: PolicyAdministrationOptions) {
    this.#store = options.store;
    this.#audit = options.audit ?? DISCARD_AUDIT;
    this.#log = options.log ?? SILENT_POLICY_LOGGER;
    this.#redis = options.redis;
    this.#channel = options.channel ?? POLICY_CHANGED_CHANNEL;
    this.#engine = options.engine ?? wasmCedarEngine;
    this.#now = options.now ?? Date.now;
  }

  /**
   * On first start (no version stored) publishes the shipped default as version 1, author
   * `system`; several instances starting at once publish it once. Resolves the active version.
   */
  async initialize(): Promise<ActivePolicyVersion> {
    const created = await this.#store.bootstrap({
      text: loadDefaultPolicy(),
      author: 'system',
      comment: 'shipped default policy',
      atMs: this.#now(),
    });
    if (created) {
      this.#audit.record({
        actor: 'system',
        action: AUDIT_ACTIONS.policyPublished,
        target: 'policy:1',
        outcome: 'success',
        reason: 'shipped default policy',
        details: { sha256: sha256Hex(loadDefaultPolicy()) },
      });
      await this.#announce(1);
    }
    const active = await this.active();
    if (active === undefined) throw new Error('no active policy version after bootstrap');
    return active;
  }

  /** Checks `text` against the schema without changing anything. */
  validate(text: string): PolicyValidation {
    if (typeof text !== 'string') {
      return { valid: false, errors: ['the policy text must be a string'], policyCount: 0 };
    }
    const bytes = Buffer.byteLength(text, 'utf8');
    if (bytes > MAX_POLICY_BYTES) {
      return {
        valid: false,
        errors: [`the policy text is ${bytes} bytes; at most ${MAX_POLICY_BYTES} are accepted`],
        policyCount: 0,
      };
    }
    const split = splitPolicies(this.#engine, text);
    if (!split.ok) return { valid: false, errors: split.errors, policyCount: 0 };
    const policyCount = Object.keys(split.named.policies).length;
    const errors = validateAgainstSchema(this.#engine, text, split.named, loadPolicySchema());
    return { valid: errors.length === 0, errors, policyCount };
  }

  /**
   * Validates `text`, stores it as the next version and makes it active.
   * @throws TooLargeError when the text exceeds 1 MiB
   * @throws InvalidArgumentError when it does not parse or validate (Cedar's messages), or the
   *   comment is too long or the author empty
   * @throws PolicyLockoutError (FAILED_PRECONDITION) when no operator could ManagePolicies
   */
  async publish(text: string, input: PublishInput): Promise<PolicyVersionRecord> {
    const comment = input.comment ?? '';
    this.#checkActor(input.author, comment);
    if (typeof text === 'string' && Buffer.byteLength(text, 'utf8') > MAX_POLICY_BYTES) {
      this.#refused(input.author, 'too large');
      throw new TooLargeError(`the policy text exceeds ${MAX_POLICY_BYTES} bytes`, {
        field: 'text',
      });
    }
    const validation = this.validate(text);
    if (!validation.valid) {
      const message = `the policy is invalid: ${validation.errors.join('; ')}`;
      this.#refused(input.author, message);
      throw new InvalidArgumentError(message, { field: 'text' });
    }
    const lockout = this.#lockout(text, input.author);
    if (lockout !== undefined) {
      this.#refused(input.author, lockout);
      throw new PolicyLockoutError(lockout);
    }
    const record = await this.#store.publish({
      text,
      author: input.author,
      comment,
      atMs: this.#now(),
    });
    this.#audit.record({
      actor: input.author,
      action: AUDIT_ACTIONS.policyPublished,
      target: `policy:${record.version}`,
      outcome: 'success',
      reason: clip(comment),
      details: { sha256: record.sha256, policies: String(validation.policyCount) },
    });
    this.#log.info({ version: record.version, author: input.author }, 'policy published');
    await this.#announce(record.version);
    return record;
  }

  /**
   * Makes stored `version` active again (rollback or roll forward).
   * @throws NotFoundError when it was never stored
   * @throws PolicyLockoutError when it would lock operators out
   */
  async activate(version: number, author: string, comment = ''): Promise<ActivePolicyVersion> {
    this.#checkActor(author, comment);
    const record = await this.#store.get(version);
    if (record === undefined) {
      throw new NotFoundError(`policy version ${version} is not stored`, { field: 'version' });
    }
    const lockout = this.#lockout(record.text, author);
    if (lockout !== undefined) {
      this.#refused(author, lockout);
      throw new PolicyLockoutError(lockout);
    }
    const previous = await this.#store.active();
    const pointer = await this.#store.activate(version, author, this.#now());
    this.#audit.record({
      actor: author,
      action: AUDIT_ACTIONS.policyActivated,
      target: `policy:${version}`,
      outcome: 'success',
      reason: clip(comment),
      details: { previousVersion: String(previous?.version ?? 0) },
    });
    this.#log.info({ version, previous: previous?.version, author }, 'policy version activated');
    await this.#announce(version);
    return { ...record, active: true, changedAtMs: pointer.changedAtMs, changedBy: author };
  }

  /** The active version with its text; undefined before `initialize`. */
  async active(): Promise<ActivePolicyVersion | undefined> {
    const pointer = await this.#store.active();
    if (pointer === undefined) return undefined;
    const record = await this.#store.get(pointer.version);
    if (record === undefined) return undefined;
    return { ...record, changedAtMs: pointer.changedAtMs, changedBy: pointer.changedBy };
  }

  /** One stored version with its text. */
  async get(version: number): Promise<PolicyVersionRecord | undefined> {
    return this.#store.get(version);
  }

  /** Stored versions newest first (see PolicyStore.list). */
  async list(pageSize = 0, pageToken = ''): Promise<PolicyVersionPage> {
    return this.#store.list(pageSize, pageToken);
  }

  onChange(listener: (version: number) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  #checkActor(author: string, comment: string): void {
    if (typeof author !== 'string' || author === '') {
      throw new InvalidArgumentError('the author of a policy change must be named', {
        field: 'author',
      });
    }
    if (comment.length > MAX_COMMENT_CHARS) {
      throw new InvalidArgumentError(
        `the comment is ${comment.length} characters; at most ${MAX_COMMENT_CHARS} are accepted`,
        { field: 'comment' },
      );
    }
  }

  /** Why `text` would lock operators out of ManagePolicies, or undefined when it would not. */
  #lockout(text: string, author: string): string | undefined {
    const operator = author.startsWith('operator:')
      ? author.slice('operator:'.length)
      : LOCKOUT_PROBE_OPERATOR;
    const probe = new CedarAuthorizer({ engine: this.#engine, cacheSize: 0 });
    probe.use({ version: -1, text });
    const decision = probe.decide({
      principal: { type: 'Operator', id: operator },
      action: 'ManagePolicies',
      resource: PLATFORM,
    });
    if (decision.allowed) return undefined;
    return `this policy set would lock operators out: Operator::"${operator}" would no longer be permitted ManagePolicies on Platform::"proof-messenger", so no one could change the policy again; keep a permit such as "platform-operator" of the default policy`;
  }

  #refused(author: string, reason: string): void {
    this.#audit.record({
      actor: author,
      action: AUDIT_ACTIONS.policyRefused,
      target: 'policy:new',
      outcome: 'denied',
      reason: clip(reason),
    });
  }

  async #announce(version: number): Promise<void> {
    for (const listener of this.#listeners) {
      try {
        listener(version);
      } catch (err) {
        this.#log.error({ err, version }, 'policy change listener failed');
      }
    }
    if (this.#redis === undefined) return;
    try {
      await this.#redis.publish(this.#channel, String(version));
    } catch (err) {
      // Other instances still pick the change up at their next poll.
      this.#log.warn({ err, version }, 'could not announce the policy change on Redis');
    }
  }
}
