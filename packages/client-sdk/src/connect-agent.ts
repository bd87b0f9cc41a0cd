/**
 * The shortest way to a working agent: open (or create) its identity key in a key store, register
 * it unless it already is, top up its prekeys, keep them topped up and rotated in the background,
 * and return the messaging client. What the README's ten-line example uses; everything it does is
 * also available step by step through `AgentKeys` and `AgentClient`.
 */
import type { CryptoProvider } from '@proof-messenger/crypto';
import { AlreadyExistsError, Code, ProofMessengerError } from '@proof-messenger/errors';
import { AgentClient } from './agent-client.ts';
import { AgentKeys } from './agent-keys.ts';
import type { InvalidDelivery } from './inbound.ts';
import type { KeyStore } from './key-store.ts';
import { MemoryKeyStore } from './memory-key-store.ts';

export interface ConnectAgentOptions {
  readonly agentId: string;
  /** `host:port` of the platform, or of key-management when the services run apart. */
  readonly address: string;
  /** `host:port` of the envelope processor when it is not at `address`. */
  readonly envelopeProcessorAddress?: string;
  /** Where the agent's private keys live (default: a new MemoryKeyStore, gone with the process). */
  readonly keyStore?: KeyStore;
  /** Needed for the first registration unless the server allows open registration from loopback. */
  readonly enrollmentCredential?: string;
  readonly provider?: CryptoProvider;
  /** How often prekeys are topped up and due rotations handled (default 60 s; 0 = never). */
  readonly maintenanceIntervalMs?: number;
  readonly onInvalid?: (invalid: InvalidDelivery) => void;
  /** Told about failed background maintenance passes (the next pass tries again). */
  readonly onMaintenanceError?: (error: unknown) => void;
}

/**
 * Connects `agentId`: registers its identity key on first use, ensures prekeys, and returns its
 * client. `client.close()` also stops the background maintenance and closes the key-management
 * connection (not the key store, which the caller owns).
 * @throws UnauthenticatedError when registration needs an enrollment credential, AlreadyExistsError
 *   when the id is registered with another key, and what the server answers otherwise
 */
export async function connectAgent(options: ConnectAgentOptions): Promise<AgentClient> {
  const provider = options.provider;
  const keyStore =
    options.keyStore ?? new MemoryKeyStore(provider === undefined ? {} : { provider });
  const keys = await AgentKeys.open({
    address: options.address,
    agentId: options.agentId,
    keyStore,
    ...(provider === undefined ? {} : { provider }),
  });
  try {
    await registerOnce(keys, options.enrollmentCredential ?? '');
    await keys.ensurePrekeys();
    const intervalMs = options.maintenanceIntervalMs ?? 60_000;
    if (intervalMs > 0) keys.start(intervalMs, options.onMaintenanceError);
    return AgentClient.create({
      keys,
      address: options.envelopeProcessorAddress ?? options.address,
      ownsKeys: true,
      ...(provider === undefined ? {} : { provider }),
      ...(options.onInvalid === undefined ? {} : { onInvalid: options.onInvalid }),
    });
  } catch (error) {
    keys.close();
    throw error;
  }
}

/** Registers the identity key, or proves it is the one already registered for this agent. */
async function registerOnce(keys: AgentKeys, enrollmentCredential: string): Promise<void> {
  try {
    await keys.register(enrollmentCredential);
  } catch (error) {
    if (!(error instanceof ProofMessengerError && error.code === Code.ALREADY_EXISTS)) throw error;
    // Authentication signs a fresh statement with this key: it succeeds only when this key is the
    // agent's current one, i.e. this agent registered it before.
    try {
      await keys.client.authorization();
    } catch {
      throw new AlreadyExistsError(
        `agent ${keys.agentId} is registered with another identity key; use the key store it was registered from, or another agent id`,
        { field: 'agent_id' },
      );
    }
  }
}
