/**
 * A command's connection as an agent: its key store opened, its keys (`AgentKeys`, which
 * authenticate to every service) and, when asked, its messaging client (`AgentClient`) and its
 * channel client (`ChannelClient`, which keeps channel member keys in the same key store). `withAgent`
 * closes all of it however the command ends, so the key store lock is released and no gRPC channel
 * keeps the process alive.
 */
import {
  AgentClient,
  AgentKeys,
  ChannelClient,
  type InvalidDelivery,
} from '@proof-messenger/client-sdk';
import { Code, ProofMessengerError } from '@proof-messenger/errors';
import { EnvelopeProcessorService, type GetQueueStateResponse } from '@proof-messenger/proto';
import { PromiseClient } from '@proof-messenger/rpc';
import { type AgentStore, openAgentStore } from './agent-store.ts';
import { CliError } from './cli-error.ts';
import type { Invocation } from './command.ts';
import { ExitCode } from './exit-code.ts';
import { type ServerAddresses, serverAddresses } from './global-options.ts';

/** An agent connected to the services. */
export interface AgentSession {
  readonly store: AgentStore;
  readonly keys: AgentKeys;
  readonly addresses: ServerAddresses;
  /** The messaging client (created on first use). */
  client(): AgentClient;
  /** The channel client, at the channel service's address (created on first use). */
  channels(): ChannelClient;
  /**
   * Authenticates and asks the envelope processor for the queue state of the agent (or of
   * `agentId`, which only an operator may read): fails fast when
   * either service cannot be reached (the SDK's receive loop would retry forever).
   */
  checkServers(agentId?: string): Promise<GetQueueStateResponse>;
}

/**
 * What the services answer when the agent itself cannot authenticate, said in terms of what to
 * run: not registered yet, or registered with a key this key store does not hold.
 */
function explainAuthentication(error: unknown, store: AgentStore): unknown {
  if (!(error instanceof ProofMessengerError)) return error;
  if (
    error.code === Code.NOT_FOUND &&
    error.message === `agent ${store.agentId} is not registered`
  ) {
    return new CliError(
      ExitCode.NOT_FOUND,
      `agent ${store.agentId} is not registered: run \`proof-messenger agent register\` first`,
      { cause: error },
    );
  }
  if (error.code === Code.INVALID_ARGUMENT && error.field === 'statement.key_id') {
    return new CliError(
      ExitCode.FAILURE,
      `agent ${store.agentId} is registered with another identity key than the one in ${store.path}: use the key store that registered it`,
      { cause: error },
    );
  }
  return error;
}

/** Runs `work` as the agent of the key store, then closes everything. */
export async function withAgent<T>(
  invocation: Invocation,
  work: (session: AgentSession) => Promise<T>,
  onInvalid?: (invalid: InvalidDelivery) => void,
): Promise<T> {
  const addresses = serverAddresses(invocation.io, invocation.values);
  const store = await openAgentStore(invocation.io, invocation.values);
  let keys: AgentKeys | undefined;
  let client: AgentClient | undefined;
  let channels: ChannelClient | undefined;
  try {
    const opened = await AgentKeys.open({
      address: addresses.keyManagement,
      agentId: store.agentId,
      keyStore: store.keyStore,
    });
    keys = opened;
    return await work({
      store,
      keys: opened,
      addresses,
      client: () => {
        client ??= AgentClient.create({
          keys: opened,
          address: addresses.envelopeProcessor,
          ...(onInvalid === undefined ? {} : { onInvalid }),
        });
        return client;
      },
      channels: () => {
        channels ??= ChannelClient.create({ keys: opened, address: addresses.channel });
        return channels;
      },
      checkServers: async (agentId = '') => {
        const rpc = new PromiseClient(EnvelopeProcessorService, addresses.envelopeProcessor);
        try {
          return await rpc.call(
            'getQueueState',
            { agentId },
            { metadata: { authorization: await opened.client.authorization() } },
          );
        } finally {
          rpc.close();
        }
      },
    });
  } catch (error) {
    throw explainAuthentication(error, store);
  } finally {
    client?.close();
    channels?.close();
    keys?.close();
    await store.keyStore.close();
  }
}
