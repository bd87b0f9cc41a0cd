/**
 * Which context attributes a Cedar policy can read, from Cedar's JSON form of it
 * (`policyToJson`): the decision cache keys a request on those alone, so that sends differing
 * only in what no policy looks at (`sizeBytes` under the default policy, which varies with
 * nearly every envelope) share one cached decision instead of each paying a wasm evaluation.
 *
 * Sound by construction: in Cedar the context is reachable only through the `context`
 * variable, so a policy's decision — whether it is satisfied or errs — depends on the context
 * only through the places `{"Var":"context"}` occurs in its conditions (the scope cannot name
 * the context). An occurrence as the left side of an attribute access (`context.x`,
 * `context["x"]`) or of `has` (`context has x`, `context has x.y`) reads attribute `x` —
 * its value, or its absence; any other occurrence (`context == {…}`, `[context]`, an extension
 * call) may read all of it, and so does a policy Cedar could not turn into JSON. The walk is
 * generic over the JSON, so an expression form it does not know can only make it answer "all".
 */
import type { PolicyJson } from '@cedar-policy/cedar-wasm/nodejs';

/** The context attributes a policy (or a set of policies) reads, or 'all'. */
export type ContextReads = ReadonlySet<string> | 'all';

function isContextVar(node: unknown): boolean {
  return (
    typeof node === 'object' &&
    node !== null &&
    (node as { Var?: unknown }).Var === 'context' &&
    Object.keys(node).length === 1
  );
}

/** The attribute an access `{left, attr}` reads when its left side is the context. */
function accessedAttribute(access: unknown): string | undefined {
  if (typeof access !== 'object' || access === null) return undefined;
  const { left, attr } = access as { left?: unknown; attr?: unknown };
  if (!isContextVar(left)) return undefined;
  // `context has a.b` carries the path as an array; its first element is the context's attribute.
  const first: unknown = Array.isArray(attr) ? attr[0] : attr;
  return typeof first === 'string' ? first : undefined;
}

/** Adds what `node` reads to `reads`; false once it may read the whole context. */
function collect(node: unknown, reads: Set<string>): boolean {
  if (Array.isArray(node)) return node.every((item) => collect(item, reads));
  if (typeof node !== 'object' || node === null) return true;
  if (isContextVar(node)) return false;
  for (const [key, value] of Object.entries(node)) {
    const attribute = key === '.' || key === 'has' ? accessedAttribute(value) : undefined;
    if (attribute !== undefined) reads.add(attribute);
    else if (!collect(value, reads)) return false;
  }
  return true;
}

/** What `policy` reads of the context; 'all' when it is undefined (Cedar gave no JSON form). */
export function contextReads(policy: PolicyJson | undefined): ContextReads {
  if (policy === undefined) return 'all';
  const reads = new Set<string>();
  return collect(policy.conditions, reads) ? reads : 'all';
}

/** What a set of policies reads together. */
export function unionOfReads(all: Iterable<ContextReads>): ContextReads {
  const union = new Set<string>();
  for (const reads of all) {
    if (reads === 'all') return 'all';
    for (const attribute of reads) union.add(attribute);
  }
  return union;
}
