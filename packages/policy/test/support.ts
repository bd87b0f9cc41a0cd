/** Shared test helpers: an audit sink that keeps events, and request builders. */
import type { AuditEvent, AuditSink } from '@proof-messenger/audit-log';
import type {
  AuthorizationRequest,
  ChannelAttributes,
  EntityRef,
  PolicyAction,
} from '../src/index.ts';
import { PLATFORM } from '../src/index.ts';

/** An AuditSink that collects what is recorded. */
export class MemoryAuditSink implements AuditSink {
  readonly events: AuditEvent[] = [];
  record(event: AuditEvent): void {
    this.events.push(event);
  }
  actions(): string[] {
    return this.events.map((e) => e.action);
  }
}

export const agent = (id: string): EntityRef => ({ type: 'Agent', id });
export const operator = (id: string): EntityRef => ({ type: 'Operator', id });
export const channel = (id: string): EntityRef => ({ type: 'Channel', id });

/** A SendMessage context with the given overrides. */
export function sendContext(
  overrides: Record<string, string | number | boolean> = {},
): Record<string, string | number | boolean> {
  return {
    priority: 'normal',
    contentType: 'application/json',
    cleartext: false,
    sizeBytes: 1024,
    ttlMs: 60_000,
    ...overrides,
  };
}

/** A request on channel `c1` with `attributes`. */
export function onChannel(
  principal: EntityRef,
  action: PolicyAction,
  attributes: ChannelAttributes,
  context?: Record<string, string | number | boolean>,
): AuthorizationRequest {
  return {
    principal,
    action,
    resource: channel('c1'),
    resourceAttributes: attributes,
    ...(context === undefined ? {} : { context }),
  };
}

/** A request on the Platform. */
export function onPlatform(principal: EntityRef, action: PolicyAction): AuthorizationRequest {
  return { principal, action, resource: PLATFORM };
}
