/**
 * Everything the envelope-processor handlers depend on, built once per process by
 * `envelope-processor-module.ts` and overridable in tests. The audit sink and the rate limiter
 * come from the process's Governance (shared with the other services in the embedded platform);
 * the send policy asks its authorizer.
 */
import type { Caller, CallerAuthenticator } from '@proof-messenger/auth';
import type { CryptoProvider } from '@proof-messenger/crypto';
import type { KeyDirectory } from '@proof-messenger/key-directory';
import type { MessageQueue } from '@proof-messenger/queue';
import type { RateLimiter } from '@proof-messenger/rate-limit';
import type { HandlerContext, Logger } from '@proof-messenger/rpc';
import type { EnvelopeProcessorConfig } from './config.ts';
import type { MessageAudit } from './message-audit.ts';
import type { ReplayGuard } from './ports/replay-guard.ts';
import type { SendPolicy } from './ports/send-policy.ts';

export interface EnvelopeProcessorContext {
  readonly config: EnvelopeProcessorConfig;
  readonly provider: CryptoProvider;
  readonly queue: MessageQueue;
  readonly replay: ReplayGuard;
  /** Decides SendMessage (the policy engine behind PolicySendPolicy unless a test replaces it). */
  readonly policy: SendPolicy;
  /** This service's entries in the verifiable audit log (never blocks or fails a call). */
  readonly audit: MessageAudit;
  /** Spends the sender's `send` tokens before an envelope's signature is verified. */
  readonly rateLimiter: RateLimiter;
  readonly directory: KeyDirectory;
  readonly authenticator: CallerAuthenticator;
  readonly log: Logger;
  readonly now: () => number;
}

/** Resolves the caller of a gRPC call from its `authorization` metadata. */
export function callerOf(ctx: EnvelopeProcessorContext, call: HandlerContext): Promise<Caller> {
  const value = call.metadata.get('authorization')[0];
  return ctx.authenticator.authenticate(typeof value === 'string' ? value : undefined);
}
