export type { CompositePublicKey, CompositeSignature } from './composite-signature.ts';
export {
  COMPOSITE_SIZES,
  CompositeSigner,
  compositeMessage,
  compositePublicKey,
  verifyComposite,
} from './composite-signature.ts';
export type { ContentKeyBundle, KemRecipient, WrappedContentKey } from './content-encryption.ts';
export {
  CONTENT_SIZES,
  decryptContent,
  encryptContent,
  unwrapContentKey,
  wrapContentKey,
} from './content-encryption.ts';
export type {
  CryptoProvider,
  Encapsulation,
  KeyAlgorithm,
  KeyPair,
  PrivateKeyHandle,
  ProviderName,
} from './crypto-provider.ts';
export { defaultProvider, getProvider } from './default-provider.ts';
export { concatBytes, equalBytes, fromHex, toHex, utf8 } from './internal/bytes.ts';
export { KemKeyPair, kemEncapsulate, Suite, suiteSizes } from './kem-suite.ts';
export type { KeyIdAlgorithm } from './key-id.ts';
export { base64url, keyIdOf } from './key-id.ts';
export { isNativeCryptoAvailable, nativeProvider } from './native-provider.ts';
export { nobleProvider } from './noble-provider.ts';
export { pae } from './pae.ts';
export type { SenderKey, SenderKeyScope } from './sender-key-wrap.ts';
export {
  newSenderKey,
  SENDER_KEY_BYTES,
  senderKeyFingerprint,
  unwrapWithSenderKey,
  wrapForSenderKey,
} from './sender-key-wrap.ts';
export { WorkerVerifyPool } from './worker-verify-pool.ts';
export { XWING_SIZES, xWingDecapsulate, xWingEncapsulate, xWingFromSeed } from './x-wing.ts';
export { zeroize } from './zeroize.ts';
