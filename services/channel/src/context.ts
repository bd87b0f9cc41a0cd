/**
 * Everything the channel handlers depend on, built once per process by `channel-module.ts` and
 * overridable in tests.
 */
import type { Caller, CallerAuthenticator } from '@proof-messenger/auth';
import type { CryptoProvider } from '@proof-messenger/crypto';
import type { Governance } from '@proof-messenger/governance';
import type { KeyDirectory } from '@proof-messenger/key-directory';
import type { MessageQueue } from '@proof-messenger/queue';
import type { HandlerContext, Logger } from '@proof-messenger/rpc';
import type { ChannelAudit } from './channel-audit.ts';
import type { ChannelConfig } from './config.ts';
import type { ChannelPolicy } from './ports/channel-policy.ts';
import type { ChannelStore } from './ports/channel-store.ts';
import type { PublicationStore } from './ports/publication-store.ts';

export interface ChannelContext {
  readonly config: ChannelConfig;
  readonly provider: CryptoProvider;
  readonly channels: ChannelStore;
  readonly publications: PublicationStore;
  readonly queue: MessageQueue;
  readonly policy: ChannelPolicy;
  /** The policy engine, rate limiter and audit log (shared by the platform, or this service's). */
  readonly governance: Governance;
  /** The channel service's audit entries, written through `governance.audit`. */
  readonly audit: ChannelAudit;
  readonly directory: KeyDirectory;
  readonly authenticator: CallerAuthenticator;
  readonly log: Logger;
  readonly now: () => number;
  /** Asks the fanout to run now (a publication was accepted). */
  readonly kickFanout: () => void;
}

/** Resolves the caller of a gRPC call from its `authorization` metadata. */
export function callerOf(ctx: ChannelContext, call: HandlerContext): Promise<Caller> {
  const value = call.metadata.get('authorization')[0];
  return ctx.authenticator.authenticate(typeof value === 'string' ? value : undefined);
}
