/**
 * What `AgentClient.receive` yields: verified, decrypted messages and typed delivery notices, told
 * apart by `kind`. Nothing here is yielded before its signature verified against the sender's key
 * valid at the time it was signed; what fails verification goes to `onInvalid` instead.
 */
import type {
  DeliveryReceiptBody,
  Envelope,
  EnvelopeHeader,
  Priority,
} from '@proof-messenger/proto';

/** A message from another agent, verified and decrypted. */
export interface ReceivedMessage {
  readonly kind: 'message';
  readonly messageId: string;
  readonly senderId: string;
  /** The channel it was published on; empty for a direct message. */
  readonly channelId: string;
  /** Empty when the sender set none. */
  readonly correlationId: string;
  readonly contentType: string;
  readonly priority: Priority;
  /** When the sender signed it (ms since the epoch), as stated in the signed header. */
  readonly createdAtMs: number;
  /** How often the server has delivered it, this time included. */
  readonly deliveryCount: number;
  /** True for signed cleartext (readable by anyone who saw it on the way), false when encrypted. */
  readonly cleartext: boolean;
  readonly content: Uint8Array;
  /** The signed header, as received. */
  readonly header: EnvelopeHeader;
  /** The envelope as received: a proof anyone with the sender's public key can verify. */
  readonly envelope: Envelope;
  /** The content decoded as UTF-8. */
  text(): string;
  /**
   * Ends the delivery with a signed DeliveryReceipt (which the sender receives as a 'delivered'
   * notice), deletes a one-time prekey the message was encrypted to, and remembers the id for
   * duplicate suppression. Until it is acked or nacked, further deliveries of the same message
   * are held back by the client (and settled with it), so a message never settled is not yielded
   * again by this client and is eventually dead-lettered.
   */
  ack(): Promise<void>;
  /** Hands the message back for redelivery after `delayMs` (default 0). */
  nack(delayMs?: number): Promise<void>;
}

/**
 * What happened to a message this agent sent — or, for `channel-deleted`, to a channel it was
 * subscribed to (then `messageId` is empty and `recipientId` names the channel).
 */
export interface DeliveryNotice {
  readonly kind: 'delivered' | 'expired' | 'dead-lettered' | 'channel-deleted';
  /** The id of the message the notice is about. */
  readonly messageId: string;
  readonly recipientId: string;
  /** When it happened (ms since the epoch), as the server states it. */
  readonly atMs: number;
  /** The server's explanation, for expired and dead-lettered notices. */
  readonly reason: string;
  /** The recipient's receipt body, for delivered notices that carry one. */
  readonly receipt?: DeliveryReceiptBody;
  /**
   * True only when the receipt's signature verified with the recipient's identity key valid at
   * its acknowledgement time and it names this message, this sender and (when this client sent
   * the message) the digest of the envelope that was sent.
   */
  readonly receiptVerified: boolean;
  /** Removes the notice from the queue. */
  ack(): Promise<void>;
}

/** One item of `AgentClient.receive`. */
export type InboundItem = ReceivedMessage | DeliveryNotice;

/** A delivery that failed verification or could not be opened; it was acknowledged and dropped. */
export interface InvalidDelivery {
  readonly deliveryId: string;
  /** The ids from the header when it could be parsed; empty otherwise. */
  readonly messageId: string;
  readonly senderId: string;
  readonly error: unknown;
}
