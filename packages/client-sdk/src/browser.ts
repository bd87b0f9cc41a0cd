/**
 * The SDK for browsers (and any runtime with fetch but no node:crypto or grpc-js):
 * `@proof-messenger/client-sdk/browser`. Same AgentClient and AgentKeys as the Node entry, talking
 * gRPC-web to a gateway (`createGrpcWebProxy` in @proof-messenger/rpc) through a GrpcWebTransport,
 * on the noble crypto provider, with keys in a MemoryKeyStore.
 *
 * Bundle it with the `browser` export condition (esbuild `platform: 'browser'`, Vite, webpack do
 * this by default): the crypto and rpc packages then resolve to their browser entries, and nothing
 * reachable from here imports a `node:` module or grpc-js (test/browser-bundle.test.ts builds it
 * with no externals and runs the bundle end to end). Not here: FileKeyStore (node:fs, scrypt)
 * and server streaming (the client receives by polling). See docs/browser.md.
 */

export { nobleProvider } from '@proof-messenger/crypto';
export type { GrpcWebTransportOptions, RpcTransport } from '@proof-messenger/rpc';
export { GrpcWebTransport } from '@proof-messenger/rpc';
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
export type { ConnectAgentOptions } from './connect-agent.ts';
export { connectAgent } from './connect-agent.ts';
export type { DeliveryNotice, InboundItem, InvalidDelivery, ReceivedMessage } from './inbound.ts';
export type { AgentCredentials } from './key-management-client.ts';
export { KeyManagementClient } from './key-management-client.ts';
export type { KeyFilter, KeyKind, KeyRecord, KeySpec, KeyStore, NewKey } from './key-store.ts';
export { KEY_KINDS } from './key-store.ts';
export { KeyStoreClosedError } from './key-store-errors.ts';
export type { MemoryKeyStoreOptions } from './memory-key-store.ts';
export { MemoryKeyStore } from './memory-key-store.ts';
export { RequestAbortedError, RequestTimeoutError } from './request-errors.ts';
