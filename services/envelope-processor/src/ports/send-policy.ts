/**
 * Port: may this sender send this message to this recipient? `PolicySendPolicy` asks the policy
 * engine (Cedar, the SendMessage action); tests may put another one in its place. Fail closed: a
 * policy that throws denies.
 */
import type { EnvelopeHeader } from '@proof-messenger/proto';

/** The facts of one direct send that a policy may decide on (all from the verified envelope). */
export interface SendRequest {
  readonly senderId: string;
  readonly recipientId: string;
  readonly header: EnvelopeHeader;
  /** Bytes of the envelope's header and payload. */
  readonly sizeBytes: number;
  /** The time to live the message gets (the server default when the header asks for 0). */
  readonly ttlMs: number;
}

export interface SendPolicy {
  /**
   * Resolves when allowed.
   * @throws PolicyDeniedError with a message saying what is not allowed
   */
  authorizeSend(request: SendRequest): Promise<void>;
}
