/**
 * Everything the envelope-processor handlers depend on, built once per process by
 * `envelope-processor-server.ts` and overridable in tests.
 */
import type { Caller, CallerAuthenticator } from '@proof-messenger/auth';
import type { CryptoProvider } from '@proof-messenger/crypto';
import type { KeyDirectory } from '@proof-messenger/key-directory';
import type { MessageQueue } from '@proof-messenger/queue';
import type { HandlerContext, Logger } from '@proof-messenger/rpc';
import type { EnvelopeProcessorConfig } from './config.ts';
import type { ReplayGuard } from './ports/replay-guard.ts';
import type { SendPolicy } from './ports/send-policy.ts';

export interface EnvelopeProcessorContext {
  readonly config: EnvelopeProcessorConfig;
  readonly provider: CryptoProvider;
  readonly queue: MessageQueue;
  readonly replay: ReplayGuard;
  readonly policy: SendPolicy;
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
