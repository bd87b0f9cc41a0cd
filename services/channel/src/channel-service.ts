/** The ChannelService implementation: one handler per RPC, each in `routes/`. */
import type { ChannelService } from '@proof-messenger/proto';
import type { ServiceImplementation } from '@proof-messenger/rpc';
import type { ChannelContext } from './context.ts';
import { createChannel } from './routes/create-channel.ts';
import { deleteChannel } from './routes/delete-channel.ts';
import { getChannel } from './routes/get-channel.ts';
import { getChannelMembers } from './routes/get-channel-members.ts';
import { listSubscribers } from './routes/list-subscribers.ts';
import { publish } from './routes/publish.ts';
import { subscribe } from './routes/subscribe.ts';
import { unsubscribe } from './routes/unsubscribe.ts';
import { updateChannel } from './routes/update-channel.ts';

/** Handlers for every ChannelService RPC. */
export function channelImplementation(
  ctx: ChannelContext,
): ServiceImplementation<typeof ChannelService> {
  return {
    createChannel: createChannel(ctx),
    getChannel: getChannel(ctx),
    updateChannel: updateChannel(ctx),
    deleteChannel: deleteChannel(ctx),
    subscribe: subscribe(ctx),
    unsubscribe: unsubscribe(ctx),
    listSubscribers: listSubscribers(ctx),
    getChannelMembers: getChannelMembers(ctx),
    publish: publish(ctx),
  };
}
