/**
 * The crypto core without node:crypto: everything in index.ts except the native provider and the
 * worker-thread verify pool, with `defaultProvider` / `getProvider` answering the noble provider.
 * Bundlers pick it for `@proof-messenger/crypto` through the package's `browser` export condition
 * (so the protocol and SDK code importing the package need no change), and it is also reachable
 * as `@proof-messenger/crypto/browser`. Nothing reachable from here imports a `node:` module.
 */
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
export { concatBytes, equalBytes, fromHex, toHex, utf8 } from './internal/bytes.ts';
export { KemKeyPair, kemEncapsulate, Suite, suiteSizes } from './kem-suite.ts';
export type { KeyIdAlgorithm } from './key-id.ts';
export { base64url, keyIdOf } from './key-id.ts';
export {
  nobleDefaultProvider as defaultProvider,
  nobleGetProvider as getProvider,
} from './noble-default-provider.ts';
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
export { XWING_SIZES, xWingDecapsulate, xWingEncapsulate, xWingFromSeed } from './x-wing.ts';
export { zeroize } from './zeroize.ts';
