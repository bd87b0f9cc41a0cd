/**
 * Maps an AuthorizationRequest to Cedar's request and entities, after checking it at the
 * boundary: a malformed request (unknown type or action, a channel without its attributes, a
 * context value Cedar cannot carry) is the caller's bug, refused here with a message rather than
 * passed to Cedar. Also builds the canonical cache key of a request.
 */
import type { EntityJson, EntityUidJson } from '@cedar-policy/cedar-wasm/nodejs';
import {
  type AuthorizationRequest,
  type EntityRef,
  POLICY_ACTIONS,
  type PolicyAction,
} from '../authorizer.ts';

/** The schema's namespace. */
export const NAMESPACE = 'ProofMessenger';

const ENTITY_TYPES: ReadonlySet<string> = new Set(['Agent', 'Operator', 'Channel', 'Platform']);
const ACTIONS: ReadonlySet<string> = new Set(POLICY_ACTIONS);
const CHANNEL_POLICIES: ReadonlySet<string> = new Set([
  'open',
  'private',
  'allowlist',
  'authz_required',
]);

/** A request as Cedar takes it. */
export interface CedarRequest {
  readonly principal: EntityUidJson;
  readonly action: EntityUidJson;
  readonly resource: EntityUidJson;
  readonly context: Record<string, string | number | boolean>;
  readonly entities: EntityJson[];
}

/** Cedar's entity uid of an EntityRef. */
export function cedarUid(ref: EntityRef): { type: string; id: string } {
  return { type: `${NAMESPACE}::${ref.type}`, id: ref.id };
}

/** `ProofMessenger::Action::"SendMessage"`-style uid of an action. */
export function actionUid(action: PolicyAction): { type: string; id: string } {
  return { type: `${NAMESPACE}::Action`, id: action };
}

function checkRef(ref: unknown, role: string): string | undefined {
  if (typeof ref !== 'object' || ref === null) return `${role} must be an EntityRef`;
  const { type, id } = ref as Partial<EntityRef>;
  if (typeof type !== 'string' || !ENTITY_TYPES.has(type)) {
    return `${role}.type must be Agent, Operator, Channel or Platform, got ${String(type)}`;
  }
  if (typeof id !== 'string' || id === '') return `${role}.id must be a non-empty string`;
  return undefined;
}

/** What is wrong with `request`, or undefined when Cedar can be asked. */
export function checkRequest(request: AuthorizationRequest): string | undefined {
  const problem =
    checkRef(request.principal, 'principal') ?? checkRef(request.resource, 'resource');
  if (problem !== undefined) return problem;
  if (!ACTIONS.has(request.action)) return `unknown action ${String(request.action)}`;
  for (const [name, value] of Object.entries(request.context ?? {})) {
    if (typeof value === 'number' && !Number.isSafeInteger(value)) {
      return `context.${name} must be an integer (Cedar Long), got ${value}`;
    }
    if (typeof value !== 'number' && typeof value !== 'string' && typeof value !== 'boolean') {
      return `context.${name} must be a string, integer or boolean`;
    }
  }
  if (request.resource.type === 'Channel') {
    const channel = request.resourceAttributes;
    if (channel === undefined)
      return `resource channel ${request.resource.id} needs resourceAttributes`;
    if (typeof channel.owner !== 'string' || channel.owner === '') {
      return 'resourceAttributes.owner must be an agent id';
    }
    if (!CHANNEL_POLICIES.has(channel.policy)) {
      return `resourceAttributes.policy must be open, private, allowlist or authz_required, got ${String(channel.policy)}`;
    }
    if (!Array.isArray(channel.allowlist) || channel.allowlist.some((a) => typeof a !== 'string')) {
      return 'resourceAttributes.allowlist must be a list of agent ids';
    }
  }
  return undefined;
}

/** The Cedar request of a checked `request`. */
export function toCedarRequest(request: AuthorizationRequest): CedarRequest {
  const entities: EntityJson[] = [];
  const channel = request.resourceAttributes;
  if (request.resource.type === 'Channel' && channel !== undefined) {
    entities.push({
      uid: cedarUid(request.resource),
      attrs: {
        owner: { __entity: cedarUid({ type: 'Agent', id: channel.owner }) },
        policy: channel.policy,
        allowlist: channel.allowlist.map((id) => ({ __entity: cedarUid({ type: 'Agent', id }) })),
      },
      parents: [],
    });
  }
  return {
    principal: cedarUid(request.principal),
    action: actionUid(request.action),
    resource: cedarUid(request.resource),
    context: { ...request.context },
    entities,
  };
}

/**
 * The cache key of a checked request: everything a decision can depend on, in a fixed order
 * (the allowlist sorted since it is a set), plus the policy version. Of the context it holds the
 * attributes `contextKeys` names (sorted; those the deciding policies read, see
 * context-reads.ts), or all of them, sorted, for 'all'.
 */
export function cacheKey(
  request: AuthorizationRequest,
  version: number,
  contextKeys: readonly string[] | 'all',
): string {
  const given = request.context ?? {};
  const context =
    contextKeys === 'all'
      ? Object.entries(given).sort(([a], [b]) => (a < b ? -1 : 1))
      : contextKeys.filter((name) => Object.hasOwn(given, name)).map((name) => [name, given[name]]);
  const channel = request.resourceAttributes;
  return JSON.stringify([
    version,
    request.principal.type,
    request.principal.id,
    request.action,
    request.resource.type,
    request.resource.id,
    context,
    channel === undefined ? null : [channel.owner, channel.policy, [...channel.allowlist].sort()],
  ]);
}
