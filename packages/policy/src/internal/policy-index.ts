/**
 * An index of one policy version by scope: for a request, the policies whose scope can match it
 * (its partition), so Cedar evaluates those instead of the whole set.
 *
 * Why the decision is the same: Cedar evaluates each policy on its own as
 * `scope && conditions`, with `&&` short-circuiting, and decides from the set of satisfied and
 * erroring policies alone (deny if a forbid is satisfied, else allow if a permit is, else deny;
 * the reasons are the deciding policies, the errors those that erred). A policy whose scope does
 * not match is neither satisfied nor erroring, so leaving it out changes nothing. The index
 * only ever leaves out policies whose scope (an over-approximation, see policy-scope.ts) rules
 * the request out.
 *
 * Two levels:
 * - a bucket per (action, principal type, resource type): the policies whose scope admits them;
 * - within a bucket, one dimension (principal or resource, whichever more policies pin to an
 *   exact entity) splits further: a partition per pinned entity id holds the bucket's policies
 *   not pinned in that dimension plus those pinned to that id; ids no policy pins share the
 *   bucket's wildcard partition. Pinning one dimension only keeps the number of partitions at
 *   most the number of policies plus one per bucket, whatever the requests.
 * Buckets and partitions are built on first use and kept for the life of the index (one
 * version).
 */
import { type PolicyScope, scopeAdmitsType } from './policy-scope.ts';

/** The entities of a request, with qualified Cedar type names. */
export interface ScopedRequest {
  readonly action: string;
  readonly principalType: string;
  readonly principalId: string;
  readonly resourceType: string;
  readonly resourceId: string;
}

/** The policies that can apply to a request. */
export interface Partition {
  /** Identifies the partition within its index. */
  readonly key: string;
  /** Ids of its policies, in the order of the policy text. */
  readonly ids: readonly string[];
}

interface Bucket {
  readonly key: string;
  readonly pin: 'principal' | 'resource' | undefined;
  readonly wildcard: Partition;
  /** Pinned entity id → the policies pinned to it (positions). */
  readonly pinned: ReadonlyMap<string, readonly number[]>;
  readonly general: readonly number[];
  readonly partitions: Map<string, Partition>;
}

/** The partitions of one policy version. */
export class PolicyIndex {
  readonly #ids: readonly string[];
  readonly #scopes: readonly PolicyScope[];
  readonly #buckets = new Map<string, Bucket>();

  /** @param scopes policy id → scope, in the order of the policy text */
  constructor(scopes: ReadonlyMap<string, PolicyScope>) {
    this.#ids = [...scopes.keys()];
    this.#scopes = [...scopes.values()];
  }

  /** How many policies the version has. */
  get size(): number {
    return this.#ids.length;
  }

  /** The partition of `request`: every policy whose scope can match it, and maybe a few more. */
  partition(request: ScopedRequest): Partition {
    const bucketKey = `${request.action}\u0000${request.principalType}\u0000${request.resourceType}`;
    let bucket = this.#buckets.get(bucketKey);
    if (bucket === undefined) {
      bucket = this.#bucket(bucketKey, request);
      this.#buckets.set(bucketKey, bucket);
    }
    if (bucket.pin === undefined) return bucket.wildcard;
    const id = bucket.pin === 'principal' ? request.principalId : request.resourceId;
    const pinned = bucket.pinned.get(id);
    if (pinned === undefined) return bucket.wildcard;
    let partition = bucket.partitions.get(id);
    if (partition === undefined) {
      const positions = [...bucket.general, ...pinned].sort((a, b) => a - b);
      partition = {
        key: `${bucket.key}\u0000=${id}`,
        ids: positions.map((i) => this.#ids[i] ?? ''),
      };
      bucket.partitions.set(id, partition);
    }
    return partition;
  }

  #bucket(key: string, request: ScopedRequest): Bucket {
    const candidates: number[] = [];
    let pinsPrincipal = 0;
    let pinsResource = 0;
    this.#scopes.forEach((scope, i) => {
      if (scope.actions !== undefined && !scope.actions.has(request.action)) return;
      if (!scopeAdmitsType(scope.principal, request.principalType)) return;
      if (!scopeAdmitsType(scope.resource, request.resourceType)) return;
      candidates.push(i);
      if (scope.principal.kind === 'entity') pinsPrincipal += 1;
      if (scope.resource.kind === 'entity') pinsResource += 1;
    });
    let pin: Bucket['pin'];
    if (pinsResource > 0 && pinsResource >= pinsPrincipal) pin = 'resource';
    else if (pinsPrincipal > 0) pin = 'principal';
    const general: number[] = [];
    const pinned = new Map<string, number[]>();
    for (const i of candidates) {
      const scope = pin === undefined ? undefined : this.#scopes[i]?.[pin];
      if (scope?.kind === 'entity') {
        const list = pinned.get(scope.id);
        if (list === undefined) pinned.set(scope.id, [i]);
        else list.push(i);
      } else {
        general.push(i);
      }
    }
    return {
      key,
      pin,
      wildcard: { key: `${key}\u0000*`, ids: general.map((i) => this.#ids[i] ?? '') },
      pinned,
      general,
      partitions: new Map(),
    };
  }
}
