/**
 * How a service other than key-management authenticates its callers and reads identity keys: the
 * shared secrets (from configuration, or generated into the data folder in the embedded mode), a
 * key directory over key-management (or over an in-process source, inside the platform), and a
 * caller authenticator whose "is this key still active" question the directory answers. The
 * envelope processor and the channel service both start from this.
 */
import { AccessTokens, CallerAuthenticator, resolveServiceSecrets } from '@proof-messenger/auth';
import type { CryptoProvider } from '@proof-messenger/crypto';
import { grpcKeySource, KeyDirectory, type KeySource } from './key-directory.ts';

/** The settings peer authentication reads from a service's configuration. */
export interface PeerAuthenticationSettings {
  readonly dataDir: string;
  readonly authTokenSecret: Uint8Array | undefined;
  readonly operatorCredentials: string | undefined;
  /** Operator credential to read keys with; unset: the local one in the data folder (embedded). */
  readonly serviceCredential: string | undefined;
  readonly keyManagementAddress: string;
  readonly keyCacheTtlMs: number;
}

export interface PeerAuthentication {
  readonly directory: KeyDirectory;
  readonly authenticator: CallerAuthenticator;
  /** Closes the connection to key-management, if one was opened. */
  close(): void;
}

/** Builds the directory and authenticator; `keySource` replaces the gRPC source (the platform). */
export function peerAuthentication(
  settings: PeerAuthenticationSettings,
  provider: CryptoProvider,
  now: () => number,
  keySource?: KeySource,
): PeerAuthentication {
  const { tokenSecret, operators, localOperatorCredential } = resolveServiceSecrets({
    dataDir: settings.dataDir,
    authTokenSecret: settings.authTokenSecret,
    operatorCredentials: settings.operatorCredentials,
    // Embedded: read keys with the local operator credential key-management generated.
    useLocalOperator: settings.serviceCredential === undefined,
  });
  const remote =
    keySource === undefined
      ? grpcKeySource(
          settings.keyManagementAddress,
          settings.serviceCredential ?? localOperatorCredential ?? '',
        )
      : undefined;
  const directory = new KeyDirectory({
    provider,
    source: keySource ?? (remote?.source as KeySource),
    ttlMs: settings.keyCacheTtlMs,
    now,
  });
  const authenticator = new CallerAuthenticator({
    tokens: new AccessTokens(tokenSecret),
    operators,
    now,
    isKeyActive: (agentId, keyId) => directory.isKeyActive(agentId, keyId),
  });
  return { directory, authenticator, close: () => remote?.close() };
}
