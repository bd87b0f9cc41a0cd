/**
 * The default send policy until the policy engine (#7): any sender may write to a registered,
 * unrevoked recipient. Everything else about the sender (registration, key validity) has been
 * checked before the policy is asked.
 */

import { PolicyDeniedError } from '@proof-messenger/errors';
import type { KeyDirectory } from '@proof-messenger/key-directory';
import type { EnvelopeHeader } from '@proof-messenger/proto';
import type { SendPolicy } from './ports/send-policy.ts';

export class DefaultSendPolicy implements SendPolicy {
  readonly #directory: KeyDirectory;

  constructor(directory: KeyDirectory) {
    this.#directory = directory;
  }

  async authorizeSend(
    _senderId: string,
    recipientId: string,
    _header: EnvelopeHeader,
  ): Promise<void> {
    if (!(await this.#directory.isRegistered(recipientId))) {
      throw new PolicyDeniedError(`recipient ${recipientId} is not a registered, active agent`, {
        field: 'envelope.header.recipient_id',
      });
    }
  }
}
