export type {
  AgentClientOptions,
  DuplicateWindow,
  ReceiveOptions,
  RequestOptions,
  RetryPolicy,
  SendOptions,
  SendResult,
} from './agent-client.ts';
export { AgentClient } from './agent-client.ts';
export type { AgentKeysOptions, PrekeyPolicy } from './agent-keys.ts';
export { AgentKeys } from './agent-keys.ts';
export type {
  ChannelClientOptions,
  ChannelSettings,
  PublishOptions,
  PublishResult,
} from './channel-client.ts';
export { ChannelClient } from './channel-client.ts';
export type { ConnectAgentOptions } from './connect-agent.ts';
export { connectAgent } from './connect-agent.ts';
export type {
  ChangeSecretOptions,
  FileKeyStoreCreateOptions,
  FileKeyStoreOpenOptions,
} from './file-key-store.ts';
export { FileKeyStore } from './file-key-store.ts';
export type { DeliveryNotice, InboundItem, InvalidDelivery, ReceivedMessage } from './inbound.ts';
export type { AgentCredentials } from './key-management-client.ts';
export { KeyManagementClient } from './key-management-client.ts';
export type { KeyFilter, KeyKind, KeyRecord, KeySpec, KeyStore, NewKey } from './key-store.ts';
export { KEY_KINDS } from './key-store.ts';
export {
  KeyStoreClosedError,
  KeyStoreFormatError,
  KeyStoreLockedError,
  KeyStoreUnlockError,
} from './key-store-errors.ts';
export type { KeyStoreSecret } from './key-store-secret.ts';
export { KEY_STORE_KEY_BYTES } from './key-store-secret.ts';
export type { MemoryKeyStoreOptions } from './memory-key-store.ts';
export { MemoryKeyStore } from './memory-key-store.ts';
export { RequestAbortedError, RequestTimeoutError } from './request-errors.ts';
export type { ScryptParams } from './scrypt-params.ts';
export { DEFAULT_SCRYPT_PARAMS, SCRYPT_LIMITS } from './scrypt-params.ts';
