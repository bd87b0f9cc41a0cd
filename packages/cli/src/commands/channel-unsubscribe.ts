/** `channel unsubscribe <channel-id>`: leaves a channel; what is published after is unreadable. */
import { withAgent } from '../agent-session.ts';
import { channelIdArgument } from '../channel-id-argument.ts';
import type { Command } from '../command.ts';
import { ExitCode } from '../exit-code.ts';
import { explainChannel } from '../explain-channel.ts';
import { jsonLine } from '../format.ts';
import { wantsJson } from '../global-options.ts';

export const channelUnsubscribe: Command = {
  name: 'channel unsubscribe',
  args: '<channel-id>',
  arity: [1, 1],
  summary: 'leave a channel',
  description: `Ends this agent's subscription: a new epoch starts, so nothing published after it can
be read with the old member key. Messages already in the queue can still be received.

Examples:
  proof-messenger channel unsubscribe news`,
  options: {},
  groups: ['server', 'channel', 'key-store', 'output'],
  async run(invocation) {
    const { io, positionals, values } = invocation;
    const channelId = channelIdArgument(positionals[0] ?? '');
    return withAgent(invocation, async (session) => {
      await session
        .channels()
        .unsubscribe(channelId)
        .catch((error: unknown) => {
          throw explainChannel(error, channelId);
        });
      io.stdout(
        wantsJson(values)
          ? jsonLine({ channelId, agentId: session.keys.agentId, subscribed: false })
          : `unsubscribed ${session.keys.agentId} from ${channelId}\n`,
      );
      return ExitCode.OK;
    });
  },
};
