export type { DirectoryKey, KeyDirectoryOptions, KeySource } from './key-directory.ts';
export { grpcKeySource, KeyDirectory } from './key-directory.ts';
export type { PeerAuthentication, PeerAuthenticationSettings } from './peer-authentication.ts';
export { peerAuthentication } from './peer-authentication.ts';
export type { PeerServiceConfig } from './peer-service-config.ts';
export { loadPeerServiceConfig } from './peer-service-config.ts';
