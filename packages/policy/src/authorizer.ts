/**
 * The authorization port: every security decision of the platform (sending, channels, key
 * administration, operator actions) is one `authorize` call naming who, what and on which
 * resource. Services depend on this interface only; `CedarAuthorizer` implements it with Cedar.
 *
 * A decision never throws for policy reasons: a denial is `allowed: false` with the deciding
 * policies, an engine failure is `allowed: false` (fail closed) with `errors`. Call sites that
 * turn a denial into the RPC's PERMISSION_DENIED use `authorizeOrThrow`.
 */
import { PolicyDeniedError } from '@proof-messenger/errors';

/** The entity types of the schema (`ProofMessenger::<type>`). */
export type EntityType = 'Agent' | 'Operator' | 'Channel' | 'Platform';

/** One entity: an agent id, an operator name, a channel id, or `proof-messenger`. */
export interface EntityRef {
  readonly type: EntityType;
  readonly id: string;
}

/** The id of the one Platform entity. */
export const PLATFORM_ID = 'proof-messenger';

/** The platform as a resource, for IssueEnrollmentCredential, ReadAudit and the policy actions. */
export const PLATFORM: EntityRef = { type: 'Platform', id: PLATFORM_ID };

/** The actions of the schema, in the order docs/policies.md lists them. */
export const POLICY_ACTIONS = [
  'SendMessage',
  'Publish',
  'Subscribe',
  'CreateChannel',
  'UpdateChannel',
  'DeleteChannel',
  'RevokeKey',
  'RotateIdentityKey',
  'IssueEnrollmentCredential',
  'ReadAudit',
  'ReadPolicies',
  'ManagePolicies',
] as const;

/** One action of the schema. */
export type PolicyAction = (typeof POLICY_ACTIONS)[number];

/** The channel policies (`Channel.policy` in the schema). */
export type ChannelPolicyName = 'open' | 'private' | 'allowlist' | 'authz_required';

/** A channel's settings, which policies read as `resource.owner`, `.policy`, `.allowlist`. */
export interface ChannelAttributes {
  /** Agent id of the owner. */
  readonly owner: string;
  readonly policy: ChannelPolicyName;
  /** Agent ids on the allowlist. */
  readonly allowlist: readonly string[];
}

/** One question to the policy. */
export interface AuthorizationRequest {
  readonly principal: EntityRef;
  readonly action: PolicyAction;
  readonly resource: EntityRef;
  /**
   * The action's context as the schema declares it (e.g. SendMessage's priority, contentType,
   * cleartext, sizeBytes, ttlMs). Numbers must be integers (Cedar `Long`).
   */
  readonly context?: Readonly<Record<string, string | number | boolean>>;
  /** Required when the resource is a Channel. */
  readonly resourceAttributes?: ChannelAttributes;
}

/** The answer. */
export interface Decision {
  readonly allowed: boolean;
  /** The policy version that decided (0 when none was loaded). */
  readonly policyVersion: number;
  /** The `@id`s of the determining policies: the permits that allowed, or the forbids that denied. */
  readonly reasons: readonly string[];
  /** Why the engine could not decide cleanly (then `allowed` is false unless failing open). */
  readonly errors: readonly string[];
  /** Whether the decision came from the decision cache. */
  readonly cached: boolean;
}

/** Decides authorization requests. */
export interface Authorizer {
  authorize(request: AuthorizationRequest): Promise<Decision>;
}

/** How an entity is named in messages: `agent alice`, `operator ops`, `channel c1`. */
export function describeEntity(entity: EntityRef): string {
  return `${entity.type.toLowerCase()} ${entity.id}`;
}

/**
 * Authorizes `request` and throws when it is not allowed.
 * @param message what the caller tried, for the error: e.g. `publish on channel c1`
 * @throws PolicyDeniedError (PERMISSION_DENIED) saying who may not do what and which policy
 *   decided (or that none permits it, or that the engine failed and the platform fails closed)
 */
export async function authorizeOrThrow(
  authorizer: Authorizer,
  request: AuthorizationRequest,
  message: string,
): Promise<Decision> {
  const decision = await authorizer.authorize(request);
  if (decision.allowed) return decision;
  const who = describeEntity(request.principal);
  const version = `policy version ${decision.policyVersion}`;
  let why: string;
  if (decision.errors.length > 0) {
    why = `the policy engine could not decide (${decision.errors[0]}), and authorization fails closed`;
  } else if (decision.reasons.length > 0) {
    const ids = decision.reasons.map((id) => `"${id}"`).join(', ');
    why = `forbidden by policy ${ids} (${version})`;
  } else {
    why = `no policy permits it (${version})`;
  }
  throw new PolicyDeniedError(`${who} may not ${message}: ${why}`, {
    metadata: {
      action: request.action,
      policyVersion: String(decision.policyVersion),
      policies: decision.reasons.join(','),
    },
  });
}
