/**
 * The scope of a Cedar policy — which actions, principals and resources it can possibly match —
 * read from Cedar's own JSON form of the policy (`policyToJson`), never from its text.
 *
 * A scope here is a sound over-approximation: whatever request the policy's scope can match,
 * its `PolicyScope` matches too. Whatever this module cannot classify (a slot, an entity
 * reference in a form it does not know, an `in` on an entity type that has members) widens to
 * "any" in that dimension, which is always correct, only slower.
 *
 * `in` needs the hierarchy, taken from the schema (Cedar builds the action entities from it):
 * - `action in A` matches every action of the schema that is A or a member of A, transitively;
 * - `principal in E` / `resource in E` is `== E` when no entity type of the schema can be a
 *   member of E's type (then E has no descendants), and "any" otherwise.
 */
import type {
  ActionConstraint,
  EntityUidJson,
  PolicyJson,
  PrincipalConstraint,
} from '@cedar-policy/cedar-wasm/nodejs';
import type { CedarEngine } from '../cedar-engine.ts';

/** What a policy's principal or resource constraint can match (Cedar type names, qualified). */
export type EntityScope =
  | { readonly kind: 'any' }
  | { readonly kind: 'type'; readonly type: string }
  | { readonly kind: 'entity'; readonly type: string; readonly id: string };

/** The requests a policy can possibly match. */
export interface PolicyScope {
  /** The schema's action ids it can match; undefined for every action. */
  readonly actions: ReadonlySet<string> | undefined;
  readonly principal: EntityScope;
  readonly resource: EntityScope;
}

const ANY: EntityScope = { kind: 'any' };

/** The scope of a policy Cedar could not turn into JSON: it may match anything. */
export const UNCONSTRAINED_SCOPE: PolicyScope = {
  actions: undefined,
  principal: ANY,
  resource: ANY,
};

/** The parts of the schema's hierarchy that `in` depends on. */
export interface SchemaHierarchy {
  /** Action id → uid keys of the action itself and every action group it is in, transitively. */
  readonly actionAncestors: ReadonlyMap<string, ReadonlySet<string>>;
  /** Qualified entity types that some entity type lists in its `memberOfTypes`. */
  readonly parentTypes: ReadonlySet<string>;
  /** The action entity type, `<namespace>::Action`. */
  readonly actionType: string;
}

function qualify(name: string, namespace: string): string {
  return name.includes('::') ? name : `${namespace}::${name}`;
}

function uidKey(type: string, id: string): string {
  return `${type}\u0000${id}`;
}

function typeAndId(uid: EntityUidJson | undefined): { type: string; id: string } | undefined {
  if (typeof uid !== 'object' || uid === null) return undefined;
  const inner: unknown = '__entity' in uid ? uid.__entity : uid;
  if (typeof inner !== 'object' || inner === null) return undefined;
  const { type, id } = inner as { type?: unknown; id?: unknown };
  return typeof type === 'string' && typeof id === 'string' ? { type, id } : undefined;
}

/** The action and entity hierarchy of `schema` (namespace `namespace`). */
export function schemaHierarchy(
  engine: CedarEngine,
  schema: string,
  namespace: string,
): SchemaHierarchy {
  const answer = engine.schemaToJson(schema);
  if (answer.type === 'failure') {
    throw new Error(
      `the Cedar schema does not parse: ${answer.errors.map((e) => e.message).join('; ')}`,
    );
  }
  const actionType = `${namespace}::Action`;
  const parentTypes = new Set<string>();
  const parents = new Map<string, string[]>();
  for (const [ns, definition] of Object.entries(answer.json)) {
    for (const entityType of Object.values(definition.entityTypes ?? {})) {
      const memberOf = 'memberOfTypes' in entityType ? entityType.memberOfTypes : undefined;
      for (const parent of memberOf ?? []) parentTypes.add(qualify(parent, ns));
    }
    for (const [id, action] of Object.entries(definition.actions ?? {})) {
      const key = uidKey(`${ns === '' ? '' : `${ns}::`}Action`, id);
      parents.set(
        key,
        (action.memberOf ?? []).map((p) =>
          uidKey(p.type === undefined ? `${ns}::Action` : qualify(p.type, ns), p.id),
        ),
      );
    }
  }
  const actionAncestors = new Map<string, Set<string>>();
  for (const id of Object.keys(answer.json[namespace]?.actions ?? {})) {
    const seen = new Set<string>();
    const todo = [uidKey(actionType, id)];
    for (let key = todo.pop(); key !== undefined; key = todo.pop()) {
      if (seen.has(key)) continue;
      seen.add(key);
      todo.push(...(parents.get(key) ?? []));
    }
    actionAncestors.set(id, seen);
  }
  return { actionAncestors, parentTypes, actionType };
}

function actionScope(
  constraint: ActionConstraint,
  hierarchy: SchemaHierarchy,
): ReadonlySet<string> | undefined {
  if (constraint.op === 'All') return undefined;
  const listed: EntityUidJson[] =
    'entities' in constraint
      ? constraint.entities
      : 'entity' in constraint
        ? [constraint.entity]
        : [];
  const keys = new Set<string>();
  for (const uid of listed) {
    const ref = typeAndId(uid);
    if (ref === undefined) return undefined;
    keys.add(uidKey(ref.type, ref.id));
  }
  const matched = new Set<string>();
  for (const [id, ancestors] of hierarchy.actionAncestors) {
    const hit =
      constraint.op === '=='
        ? keys.has(uidKey(hierarchy.actionType, id))
        : [...ancestors].some((key) => keys.has(key));
    if (hit) matched.add(id);
  }
  return matched;
}

function entityScope(constraint: PrincipalConstraint, hierarchy: SchemaHierarchy): EntityScope {
  switch (constraint.op) {
    case '==': {
      const ref = 'entity' in constraint ? typeAndId(constraint.entity) : undefined;
      return ref === undefined ? ANY : { kind: 'entity', ...ref };
    }
    case 'in': {
      const ref = 'entity' in constraint ? typeAndId(constraint.entity) : undefined;
      if (ref === undefined || hierarchy.parentTypes.has(ref.type)) return ANY;
      return { kind: 'entity', ...ref };
    }
    case 'is': {
      const type = constraint.entity_type;
      if (typeof type !== 'string') return ANY;
      const within = constraint.in;
      const ref = within !== undefined && 'entity' in within ? typeAndId(within.entity) : undefined;
      if (ref !== undefined && ref.type === type && !hierarchy.parentTypes.has(type)) {
        return { kind: 'entity', ...ref };
      }
      return { kind: 'type', type };
    }
    default:
      return ANY;
  }
}

/** The scope of one policy in Cedar's JSON form. */
export function scopeOf(policy: PolicyJson, hierarchy: SchemaHierarchy): PolicyScope {
  return {
    actions: actionScope(policy.action, hierarchy),
    principal: entityScope(policy.principal, hierarchy),
    resource: entityScope(policy.resource, hierarchy),
  };
}

/** Whether `scope` can match an entity of `type` (qualified). */
export function scopeAdmitsType(scope: EntityScope, type: string): boolean {
  return scope.kind === 'any' || scope.type === type;
}
