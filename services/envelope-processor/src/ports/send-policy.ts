/**
 * Port: may this sender send this message to this recipient? The default policy (below) admits
 * any registered, unrevoked sender writing to a registered recipient; the authorization issue
 * (#7) replaces it with the Cedar policy engine behind this same port. Fail closed: a policy that
 * throws denies.
 */
import type { EnvelopeHeader } from '@proof-messenger/proto';

export interface SendPolicy {
  /**
   * Resolves when allowed.
   * @throws PolicyDeniedError with a message saying what is not allowed
   */
  authorizeSend(senderId: string, recipientId: string, header: EnvelopeHeader): Promise<void>;
}
