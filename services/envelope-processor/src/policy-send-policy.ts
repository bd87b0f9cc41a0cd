/**
 * The send policy of the platform: the recipient must be a registered, active agent (a fact the
 * key directory knows, checked first and not up to a policy), then the policy engine decides the
 * SendMessage action with principal `Agent::"<sender>"`, resource `Agent::"<recipient>"` and the
 * context the schema declares (packages/policy/schema/proof-messenger.cedarschema): priority,
 * contentType, cleartext, sizeBytes, ttlMs. `isChannelCopy` stays absent: this is the path of
 * direct sends only (channel copies are enqueued by the channel service after its Publish check).
 *
 * A denial is audited by the authorizer (`policy.denied`); the envelope processor adds its own
 * `message.refused` entry for the send.
 */
import { PolicyDeniedError } from '@proof-messenger/errors';
import type { KeyDirectory } from '@proof-messenger/key-directory';
import { type Authorizer, authorizeOrThrow } from '@proof-messenger/policy';
import { ContentMode, Priority } from '@proof-messenger/proto';
import type { SendPolicy, SendRequest } from './ports/send-policy.ts';

/** The schema's priority names, by `proofmessenger.v1.Priority` (UNSPECIFIED is NORMAL). */
const PRIORITY_NAMES: Readonly<Record<number, string>> = {
  [Priority.UNSPECIFIED]: 'normal',
  [Priority.LOW]: 'low',
  [Priority.NORMAL]: 'normal',
  [Priority.HIGH]: 'high',
  [Priority.CRITICAL]: 'critical',
};

/** The name a policy sees for `priority` (`low`, `normal`, `high`, `critical`). */
export function priorityName(priority: Priority): string {
  return PRIORITY_NAMES[priority] ?? 'normal';
}

export class PolicySendPolicy implements SendPolicy {
  readonly #directory: KeyDirectory;
  readonly #authorizer: Authorizer;

  constructor(directory: KeyDirectory, authorizer: Authorizer) {
    this.#directory = directory;
    this.#authorizer = authorizer;
  }

  async authorizeSend(request: SendRequest): Promise<void> {
    const { senderId, recipientId, header } = request;
    if (!(await this.#directory.isRegistered(recipientId))) {
      throw new PolicyDeniedError(`recipient ${recipientId} is not a registered, active agent`, {
        field: 'envelope.header.recipient_id',
      });
    }
    await authorizeOrThrow(
      this.#authorizer,
      {
        principal: { type: 'Agent', id: senderId },
        action: 'SendMessage',
        resource: { type: 'Agent', id: recipientId },
        context: {
          priority: priorityName(header.priority),
          contentType: header.contentType,
          cleartext: header.contentMode === ContentMode.SIGNED_CLEARTEXT,
          sizeBytes: request.sizeBytes,
          ttlMs: request.ttlMs,
        },
      },
      `send to agent ${recipientId}`,
    );
  }
}
