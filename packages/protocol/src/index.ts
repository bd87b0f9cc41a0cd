export type { ChannelEnvelopeFields } from './channel-envelope.ts';
export {
  CHANNEL_KEY_CONTENT_TYPE,
  openChannelEnvelope,
  sealChannelEnvelope,
  senderKeyIdOf,
} from './channel-envelope.ts';
export {
  checkEnvelopeHeader,
  HEADER_VERSION,
  MAX_CONTENT_TYPE,
  MAX_TTL_SECONDS,
  parseEnvelopeHeader,
} from './envelope-header.ts';
export {
  ENVELOPE_DOMAIN,
  envelopeDigest,
  envelopeSignedBytes,
  payloadAssociatedData,
  SIGNATURE_CONTEXT,
} from './envelope-signature.ts';
export {
  checkAgentId,
  checkChannelId,
  checkKeyId,
  checkMessageId,
  derivedMessageId,
  MAX_CORRELATION_ID,
  newMessageId,
} from './identifiers.ts';
export { checkKemPublicKey, checkKemPublicKeyUsable } from './kem-public-key.ts';
export type { OpenedEnvelope, ParsedEnvelope, VerifiedEnvelope } from './open-envelope.ts';
export { openEnvelope, parseEnvelope, verifyEnvelope } from './open-envelope.ts';
export type { EnvelopeFields } from './seal-envelope.ts';
export { DEFAULT_SUITE, sealEnvelope, signCleartextEnvelope } from './seal-envelope.ts';
export { signStatement, statementSignedBytes, verifyStatement } from './signed-statement.ts';
