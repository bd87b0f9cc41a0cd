/**
 * Managing a channel (show, update, delete, list subscribers) as its owner — the key store's
 * agent, through the SDK's ChannelClient — or as an operator with an operator credential, which
 * needs no key store (the channel service lets operators manage every channel, never subscribe or
 * publish). `withChannelManager` picks one from the options and closes it however the work ends.
 */
import { create } from '@bufbuild/protobuf';
import type { ChannelSettings } from '@proof-messenger/client-sdk';
import { type Channel, ChannelSchema, ChannelService } from '@proof-messenger/proto';
import { PromiseClient } from '@proof-messenger/rpc';
import { withAgent } from './agent-session.ts';
import type { Invocation } from './command.ts';
import { explainChannel } from './explain-channel.ts';
import { serverAddresses } from './global-options.ts';
import { operatorCredential } from './operator-credential.ts';
import type { Viewer } from './show-channel.ts';

/** The management calls, as whoever the command runs as. */
export interface ChannelManager {
  readonly viewer: Viewer;
  get(channelId: string): Promise<Channel>;
  update(settings: ChannelSettings): Promise<Channel>;
  delete(channelId: string): Promise<void>;
  listSubscribers(channelId: string): Promise<string[]>;
}

function operatorManager(rpc: PromiseClient<typeof ChannelService>, credential: string) {
  const options = { metadata: { authorization: `Operator ${credential}` } };
  const required = (channel: Channel | undefined): Channel => {
    if (channel === undefined) throw new Error('the channel service answered without a channel');
    return channel;
  };
  const manager: ChannelManager = {
    viewer: { kind: 'operator' },
    get: async (channelId) =>
      required((await rpc.call('getChannel', { channelId }, options)).channel),
    update: async (settings) =>
      required(
        (
          await rpc.call(
            'updateChannel',
            {
              channel: create(ChannelSchema, {
                channelId: settings.channelId,
                policy: settings.policy,
                allowlist: [...(settings.allowlist ?? [])],
                retentionSeconds: settings.retentionSeconds ?? 0,
                maxMessageBytes: settings.maxMessageBytes ?? 0,
                maxSubscribers: settings.maxSubscribers ?? 0,
              }),
            },
            options,
          )
        ).channel,
      ),
    delete: async (channelId) => {
      await rpc.call('deleteChannel', { channelId }, options);
    },
    listSubscribers: async (channelId) => {
      const ids: string[] = [];
      let pageToken = '';
      do {
        const page = await rpc.call('listSubscribers', { channelId, pageToken }, options);
        ids.push(...page.subscriberIds);
        pageToken = page.nextPageToken;
      } while (pageToken !== '');
      return ids;
    },
  };
  return manager;
}

/**
 * Runs `work` with the channel manager the options ask for; an unknown `channelId` becomes exit 4.
 */
export async function withChannelManager<T>(
  invocation: Invocation,
  channelId: string,
  work: (manager: ChannelManager) => Promise<T>,
): Promise<T> {
  const { io, values } = invocation;
  try {
    const credential = await operatorCredential(io, values);
    if (credential !== undefined) {
      const rpc = new PromiseClient(ChannelService, serverAddresses(io, values).channel);
      try {
        return await work(operatorManager(rpc, credential));
      } finally {
        rpc.close();
      }
    }
    return await withAgent(invocation, async (session) => {
      const channels = session.channels();
      return work({
        viewer: { kind: 'agent', agentId: session.keys.agentId },
        get: (id) => channels.get(id),
        update: (settings) => channels.update(settings),
        delete: (id) => channels.delete(id),
        listSubscribers: (id) => channels.listSubscribers(id),
      });
    });
  } catch (error) {
    throw explainChannel(error, channelId);
  }
}
