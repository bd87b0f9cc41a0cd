/**
 * The Authorizer implemented with Cedar (https://docs.cedarpolicy.com): the active policy
 * version is split into named policies and pre-parsed once when it is loaded (`use`); each
 * decision is one `statefulIsAuthorized` call against a pre-parsed set and the pre-parsed
 * schema.
 *
 * Partitioned by scope (unless `partitionPolicies: false`): Cedar evaluates every policy of the
 * set it is given, so a decision is not asked of the whole version but of the policies whose
 * scope (action, principal and resource constraints, read from Cedar's JSON form) can match the
 * request — the same decision, reasons and errors, since a policy whose scope does not match
 * is never satisfied and never errs (internal/policy-index.ts has the argument). Each partition
 * is pre-parsed the first time a request needs it and kept for the version's life.
 *
 * Fail closed. A decision is denied, with `errors` saying why, when
 * - the request is malformed: an unknown type or action, a channel without its attributes, a
 *   context field missing, mistyped or unknown to the schema (checked here, before Cedar, from
 *   the schema's own JSON form) — always, whatever `failOpen` says;
 * - no policy version is loaded, Cedar throws or answers with a failure, or any policy errors
 *   while evaluating (Cedar skips an erroring policy, so an erroring `forbid` could let a request
 *   through; we deny instead);
 * - the decision took longer than `decisionTimeoutMs`. The wasm call is synchronous and cannot
 *   be interrupted, so the time is measured and the answer discarded afterwards: the caller
 *   still waited, but a slow engine never grants anything.
 * A principal or resource type the action does not apply to (an operator subscribing) is a
 * clean deny without errors: no policy could permit it.
 *
 * `failOpen` (env `PM_POLICY_FAIL_OPEN=true`) turns the engine failures of the second and third
 * item into allows — never a malformed request, never a clean deny. Each such allow is logged and
 * recorded as `policy.fail_open`; every deny is recorded as `policy.denied`.
 *
 * Clean decisions are cached (LRU keyed by the canonical request and the policy version); the
 * cache is emptied whenever a different version is loaded. Failures are not cached. The key
 * holds only the context attributes that the policies able to decide the request read
 * (internal/context-reads.ts): under the default policy, which reads none, every send from A to
 * B shares one decision whatever its size, instead of each new `sizeBytes` costing a wasm
 * evaluation. Other context attributes cannot change the decision, its reasons or its errors,
 * and cannot make Cedar's request validation fail either, since `checkContext` has already
 * checked every attribute against the schema.
 */
import { performance } from 'node:perf_hooks';
import { AUDIT_ACTIONS, type AuditSink, DISCARD_AUDIT } from '@proof-messenger/audit-log';
import { InvalidArgumentError } from '@proof-messenger/errors';
import type { AuthorizationRequest, Authorizer, Decision, EntityRef } from './authorizer.ts';
import { type CedarEngine, wasmCedarEngine } from './cedar-engine.ts';
import { cacheKey, checkRequest, NAMESPACE, toCedarRequest } from './internal/cedar-request.ts';
import { clip } from './internal/clip.ts';
import { describeCedarError, splitPolicies } from './internal/compile-policy-set.ts';
import { type ContextReads, contextReads, unionOfReads } from './internal/context-reads.ts';
import { LruCache } from './internal/lru-cache.ts';
import { type Partition, PolicyIndex } from './internal/policy-index.ts';
import {
  type PolicyScope,
  type SchemaHierarchy,
  schemaHierarchy,
  scopeOf,
  UNCONSTRAINED_SCOPE,
} from './internal/policy-scope.ts';
import { type ActionShape, actionShapes, checkContext } from './internal/request-shapes.ts';
import { sha256Hex } from './internal/sha256.ts';
import { type PolicyLogger, SILENT_POLICY_LOGGER } from './policy-logger.ts';
import { loadPolicySchema } from './policy-texts.ts';

/** Options of CedarAuthorizer. */
export interface CedarAuthorizerOptions {
  /** Where denies and fail-open allows are recorded (default: discarded). */
  readonly audit?: AuditSink;
  readonly log?: PolicyLogger;
  /** Allow when the engine fails (never on a clean deny). Default false; see `failOpenFromEnv`. */
  readonly failOpen?: boolean;
  /** A decision slower than this is treated as an engine failure (default 250 ms: far above a real decision, which is well under 1 ms, yet beyond what a busy host's scheduling or a GC pause adds). */
  readonly decisionTimeoutMs?: number;
  /** Decisions kept in the LRU cache (default 10,000; 0 disables caching). */
  readonly cacheSize?: number;
  /** The Cedar functions (default: Cedar's wasm build); tests inject failing ones. */
  readonly engine?: CedarEngine;
  /** Monotonic clock in ms (default `performance.now`); tests inject a slow one. */
  readonly clock?: () => number;
  /**
   * Evaluate only the policies whose scope can match the request (default true); false hands
   * Cedar the whole version every time (the reference the partitioned decisions are tested
   * against).
   */
  readonly partitionPolicies?: boolean;
}

/** A policy version to load. */
export interface LoadedPolicy {
  readonly version: number;
  readonly text: string;
}

/** Counters for metrics. */
export interface AuthorizerStats {
  readonly policyVersion: number;
  readonly decisions: number;
  readonly cacheHits: number;
  readonly allows: number;
  readonly denies: number;
  /** Decisions with errors (malformed requests, engine failures, timeouts). */
  readonly errors: number;
  readonly timeouts: number;
  readonly failOpenAllows: number;
  readonly cacheEntries: number;
  /** Partitions of the loaded version pre-parsed so far. */
  readonly partitions: number;
}

/** Whether `PM_POLICY_FAIL_OPEN=true` is set in `env`. */
export function failOpenFromEnv(env: NodeJS.ProcessEnv = process.env): boolean {
  return env.PM_POLICY_FAIL_OPEN === 'true';
}

const SCHEMA_ID_PREFIX = 'proof-messenger-schema:';
const POLICY_SET_ID_PREFIX = 'proof-messenger-policy:';

interface Active {
  readonly version: number;
  /** The whole version, pre-parsed. */
  readonly setId: string;
  /** Policy id → text, for pre-parsing partitions. */
  readonly policies: Readonly<Record<string, string>>;
  /** Undefined when not partitioning. */
  readonly index: PolicyIndex | undefined;
  /** Partition key → id of its pre-parsed set. */
  readonly partitions: Map<string, string>;
  /** Policy id → the context attributes it reads. */
  readonly reads: ReadonlyMap<string, ContextReads>;
  /** What the whole version reads, as the cache key lists it (sorted). */
  readonly wholeKeys: ContextKeys;
  /** Partition key → what its policies read (sorted), computed on first use. */
  readonly partitionKeys: Map<string, ContextKeys>;
}

/** The context attributes a cache key holds: sorted names, or 'all'. */
type ContextKeys = readonly string[] | 'all';

function keysOf(reads: ContextReads): ContextKeys {
  return reads === 'all' ? 'all' : [...reads].sort();
}

interface Counters {
  decisions: number;
  cacheHits: number;
  allows: number;
  denies: number;
  errors: number;
  timeouts: number;
  failOpenAllows: number;
}

function auditName(entity: EntityRef): string {
  switch (entity.type) {
    case 'Agent':
      return entity.id;
    case 'Operator':
      return `operator:${entity.id}`;
    default:
      return `${entity.type.toLowerCase()}:${entity.id}`;
  }
}

function denied(version: number, reasons: string[], errors: string[]): Decision {
  return { allowed: false, policyVersion: version, reasons, errors, cached: false };
}

/** Cedar-backed, fail-closed, caching Authorizer. */
export class CedarAuthorizer implements Authorizer {
  readonly #engine: CedarEngine;
  readonly #audit: AuditSink;
  readonly #log: PolicyLogger;
  readonly #failOpen: boolean;
  readonly #timeoutMs: number;
  readonly #clock: () => number;
  readonly #cache: LruCache<Decision>;
  readonly #schemaId: string;
  readonly #shapes: ReadonlyMap<string, ActionShape>;
  readonly #hierarchy: SchemaHierarchy | undefined;
  #active: Active | undefined;
  readonly #counters: Counters = {
    decisions: 0,
    cacheHits: 0,
    allows: 0,
    denies: 0,
    errors: 0,
    timeouts: 0,
    failOpenAllows: 0,
  };

  /**
   * @throws RangeError for a negative or non-integer cache size or a non-positive timeout
   * @throws InternalError-like Error when the shipped schema does not parse (a build defect)
   */
  constructor(options: CedarAuthorizerOptions = {}) {
    const cacheSize = options.cacheSize ?? 10_000;
    if (!Number.isSafeInteger(cacheSize) || cacheSize < 0) {
      throw new RangeError(`cacheSize must be a non-negative integer, got ${cacheSize}`);
    }
    const timeoutMs = options.decisionTimeoutMs ?? 250;
    if (!(timeoutMs > 0)) throw new RangeError(`decisionTimeoutMs must be > 0, got ${timeoutMs}`);
    this.#engine = options.engine ?? wasmCedarEngine;
    this.#audit = options.audit ?? DISCARD_AUDIT;
    this.#log = options.log ?? SILENT_POLICY_LOGGER;
    this.#failOpen = options.failOpen ?? false;
    this.#timeoutMs = timeoutMs;
    this.#clock = options.clock ?? (() => performance.now());
    this.#cache = new LruCache(cacheSize);
    const schema = loadPolicySchema();
    this.#schemaId = `${SCHEMA_ID_PREFIX}${sha256Hex(schema)}`;
    this.#shapes = actionShapes(this.#engine, schema, NAMESPACE);
    this.#hierarchy =
      options.partitionPolicies === false
        ? undefined
        : schemaHierarchy(this.#engine, schema, NAMESPACE);
    const parsed = this.#engine.preparseSchema(this.#schemaId, schema);
    if (parsed.type === 'failure') {
      throw new Error(
        `the Cedar schema does not parse: ${parsed.errors.map((e) => describeCedarError(e)).join('; ')}`,
      );
    }
  }

  /** Whether this authorizer allows on engine failure. */
  get failOpen(): boolean {
    return this.#failOpen;
  }

  /** The loaded policy version; 0 before the first `use`. */
  get policyVersion(): number {
    return this.#active?.version ?? 0;
  }

  /**
   * Makes `policy` the one decisions are taken with, parsing it once. Loading another version
   * empties the decision cache; loading the loaded version again does nothing.
   * @throws InvalidArgumentError when the text does not parse (the previous version stays)
   */
  use(policy: LoadedPolicy): void {
    if (this.#active?.version === policy.version) return;
    const split = splitPolicies(this.#engine, policy.text);
    if (!split.ok) {
      throw new InvalidArgumentError(
        `policy version ${policy.version} does not parse: ${split.errors.join('; ')}`,
      );
    }
    // Content-addressed: the wasm module keeps every pre-parsed set for the life of the process.
    const setId = `${POLICY_SET_ID_PREFIX}${sha256Hex(policy.text)}`;
    const answer = this.#engine.preparsePolicySet(setId, { staticPolicies: split.named.policies });
    if (answer.type === 'failure') {
      throw new InvalidArgumentError(
        `policy version ${policy.version} does not parse: ${answer.errors.map((e) => describeCedarError(e)).join('; ')}`,
      );
    }
    this.#warmUp(setId);
    const reads = new Map<string, ContextReads>();
    for (const id of Object.keys(split.named.policies)) {
      reads.set(id, contextReads(split.named.json[id]));
    }
    let index: PolicyIndex | undefined;
    if (this.#hierarchy !== undefined) {
      const scopes = new Map<string, PolicyScope>();
      for (const id of Object.keys(split.named.policies)) {
        const json = split.named.json[id];
        scopes.set(id, json === undefined ? UNCONSTRAINED_SCOPE : scopeOf(json, this.#hierarchy));
      }
      index = new PolicyIndex(scopes);
    }
    this.#active = {
      version: policy.version,
      setId,
      policies: split.named.policies,
      index,
      partitions: new Map(),
      reads,
      wholeKeys: keysOf(unionOfReads(reads.values())),
      partitionKeys: new Map(),
    };
    this.#cache.clear();
    this.#log.info({ policyVersion: policy.version }, 'authorization policy loaded');
  }

  /**
   * One throw-away decision on a freshly parsed set: the first evaluation in a process pays for
   * wasm and set initialisation (over 100 ms on a cold 2-core machine), and the first run of a
   * set's evaluation paths is slower than later ones (V8 may compile wasm functions lazily);
   * either would otherwise trip the decision timeout of the first real request. A partition is
   * warmed with the request that first needs it, so that request's paths run once before the
   * measured call.
   */
  #warmUp(setId: string, request?: AuthorizationRequest): void {
    try {
      const cedarRequest =
        request === undefined
          ? {
              principal: { type: `${NAMESPACE}::Operator`, id: 'warm-up' },
              action: { type: `${NAMESPACE}::Action`, id: 'ReadPolicies' },
              resource: { type: `${NAMESPACE}::Platform`, id: 'proof-messenger' },
              context: {},
              entities: [],
            }
          : toCedarRequest(request);
      this.#engine.statefulIsAuthorized({
        ...cedarRequest,
        preparsedPolicySetId: setId,
        preparsedSchemaName: this.#schemaId,
        validateRequest: true,
      });
    } catch {
      // A broken engine shows itself on the real decisions, which then fail closed.
    }
  }

  /** Counters since construction. */
  stats(): AuthorizerStats {
    return {
      ...this.#counters,
      policyVersion: this.policyVersion,
      cacheEntries: this.#cache.size,
      partitions: this.#active?.partitions.size ?? 0,
    };
  }

  /**
   * The pre-parsed set to decide `request` with: its partition's, parsed on first use. Falls
   * back to the whole version (always correct) if Cedar cannot parse the partition.
   */
  #setIdFor(
    active: Active,
    partition: Partition | undefined,
    request: AuthorizationRequest,
  ): string {
    const index = active.index;
    if (index === undefined || partition === undefined) return active.setId;
    const known = active.partitions.get(partition.key);
    if (known !== undefined) return known;
    let setId = active.setId;
    if (partition.ids.length < index.size) {
      // Content-addressed like the whole set: partitions with the same policies share a slot.
      const candidate = `${active.setId}/${sha256Hex(partition.ids.join('\n'))}`;
      const policies: Record<string, string> = {};
      for (const id of partition.ids) policies[id] = active.policies[id] ?? '';
      try {
        const answer = this.#engine.preparsePolicySet(candidate, { staticPolicies: policies });
        if (answer.type === 'success') {
          setId = candidate;
          this.#warmUp(setId, request);
        } else
          this.#log.warn(
            { errors: answer.errors.map((e) => e.message) },
            'partition does not parse; using the whole policy set',
          );
      } catch (err) {
        this.#log.warn({ err }, 'partition does not parse; using the whole policy set');
      }
    }
    active.partitions.set(partition.key, setId);
    return setId;
  }

  /** The partition of `request` in the active version; undefined when not partitioning. */
  #partitionOf(active: Active, request: AuthorizationRequest): Partition | undefined {
    return active.index?.partition({
      action: request.action,
      principalType: `${NAMESPACE}::${request.principal.type}`,
      principalId: request.principal.id,
      resourceType: `${NAMESPACE}::${request.resource.type}`,
      resourceId: request.resource.id,
    });
  }

  /** The context attributes the policies that can decide a request of `partition` read. */
  #contextKeys(active: Active, partition: Partition | undefined): ContextKeys {
    if (partition === undefined) return active.wholeKeys;
    let keys = active.partitionKeys.get(partition.key);
    if (keys === undefined) {
      keys = keysOf(unionOfReads(partition.ids.map((id) => active.reads.get(id) ?? 'all')));
      active.partitionKeys.set(partition.key, keys);
    }
    return keys;
  }

  async authorize(request: AuthorizationRequest): Promise<Decision> {
    return this.decide(request);
  }

  /** The synchronous core of `authorize` (the wasm call is synchronous anyway). */
  decide(request: AuthorizationRequest): Decision {
    this.#counters.decisions += 1;
    const active = this.#active;
    const version = active?.version ?? 0;
    const problem = checkRequest(request);
    if (problem !== undefined) {
      return this.#deny(request, denied(version, [], [problem]));
    }
    const shape = this.#shapes.get(request.action);
    if (
      shape !== undefined &&
      (!shape.principalTypes.has(request.principal.type) ||
        !shape.resourceTypes.has(request.resource.type))
    ) {
      // The schema rules it out (e.g. an operator subscribing): no policy can permit it.
      return this.#deny(request, denied(version, [], []));
    }
    const contextProblem =
      shape === undefined ? undefined : checkContext(request.action, shape, request.context ?? {});
    if (contextProblem !== undefined) {
      return this.#deny(request, denied(version, [], [contextProblem]));
    }
    if (active === undefined) {
      return this.#failed(request, 0, ['no policy version is loaded']);
    }
    const partition = this.#partitionOf(active, request);
    // An action the schema does not know reaches Cedar with whatever context it has: keep all.
    const contextKeys = shape === undefined ? 'all' : this.#contextKeys(active, partition);
    const key = cacheKey(request, version, contextKeys);
    const hit = this.#cache.get(key);
    if (hit !== undefined) {
      this.#counters.cacheHits += 1;
      return hit.allowed ? this.#allowed(hit) : this.#deny(request, hit);
    }
    const setId = this.#setIdFor(active, partition, request);
    const started = this.#clock();
    let answer: ReturnType<CedarEngine['statefulIsAuthorized']>;
    try {
      const cedarRequest = toCedarRequest(request);
      answer = this.#engine.statefulIsAuthorized({
        ...cedarRequest,
        preparsedPolicySetId: setId,
        preparsedSchemaName: this.#schemaId,
        validateRequest: true,
      });
    } catch (err) {
      return this.#failed(request, version, [
        `Cedar threw: ${err instanceof Error ? err.message : String(err)}`,
      ]);
    }
    const elapsedMs = this.#clock() - started;
    if (answer.type === 'failure') {
      return this.#failed(
        request,
        version,
        answer.errors.map((e) => describeCedarError(e)),
      );
    }
    const { decision, diagnostics } = answer.response;
    if (diagnostics.errors.length > 0) {
      return this.#failed(
        request,
        version,
        // Sorted: Cedar's order depends on the set it was given, the decision must not.
        diagnostics.errors.map((e) => `policy "${e.policyId}": ${e.error.message}`).sort(),
      );
    }
    if (elapsedMs > this.#timeoutMs) {
      this.#counters.timeouts += 1;
      return this.#failed(request, version, [
        `the decision took ${elapsedMs.toFixed(1)} ms, over the ${this.#timeoutMs} ms limit`,
      ]);
    }
    const result: Decision = {
      allowed: decision === 'allow',
      policyVersion: version,
      reasons: [...diagnostics.reason].sort(),
      errors: [],
      cached: false,
    };
    this.#cache.set(key, { ...result, cached: true });
    return result.allowed ? this.#allowed(result) : this.#deny(request, result);
  }

  #allowed(decision: Decision): Decision {
    this.#counters.allows += 1;
    return decision;
  }

  /** An engine failure: denied, or allowed and audited when failing open. */
  #failed(request: AuthorizationRequest, version: number, errors: string[]): Decision {
    this.#counters.errors += 1;
    const facts = {
      action: request.action,
      principal: auditName(request.principal),
      resource: auditName(request.resource),
      policyVersion: version,
      errors,
    };
    if (!this.#failOpen) {
      this.#log.error(facts, 'authorization engine failed; denied (fail closed)');
      return this.#deny(request, denied(version, [], errors));
    }
    this.#counters.failOpenAllows += 1;
    this.#counters.allows += 1;
    this.#log.warn(facts, 'authorization engine failed; ALLOWED because fail-open is on');
    this.#audit.record({
      actor: auditName(request.principal),
      action: AUDIT_ACTIONS.policyFailOpen,
      target: auditName(request.resource),
      outcome: 'success',
      reason: clip(errors.join('; ')),
      details: { action: request.action, policyVersion: String(version) },
    });
    return { allowed: true, policyVersion: version, reasons: [], errors, cached: false };
  }

  #deny(request: AuthorizationRequest, decision: Decision): Decision {
    this.#counters.denies += 1;
    this.#recordDeny(request, decision);
    return decision;
  }

  #recordDeny(request: AuthorizationRequest, decision: Decision): void {
    let reason: string;
    if (decision.errors.length > 0) reason = `engine failure: ${decision.errors.join('; ')}`;
    else if (decision.reasons.length > 0) reason = decision.reasons.join(',');
    else reason = 'no policy permits';
    this.#audit.record({
      actor: auditName(request.principal),
      action: AUDIT_ACTIONS.policyDenied,
      target: auditName(request.resource),
      outcome: 'denied',
      reason: clip(reason),
      details: { action: request.action, policyVersion: String(decision.policyVersion) },
    });
  }
}
