/**
 * `channel subscribe <channel-id>`: joins a channel with a fresh member key (X-Wing), generated
 * into the agent's key store, where later `receive` runs find it to open the channel's messages.
 * A refused subscription leaves no key behind.
 */
import { withAgent } from '../agent-session.ts';
import { channelIdArgument } from '../channel-id-argument.ts';
import type { Command } from '../command.ts';
import { ExitCode } from '../exit-code.ts';
import { explainChannel } from '../explain-channel.ts';
import { jsonLine } from '../format.ts';
import { wantsJson } from '../global-options.ts';

export const channelSubscribe: Command = {
  name: 'channel subscribe',
  args: '<channel-id>',
  arity: [1, 1],
  summary: 'subscribe to a channel; its messages then arrive with receive',
  description: `Subscribes this agent: makes a member key for the channel (kept in the key store, signed
with the identity key) that publishers encrypt to. Messages published from now on arrive in the
agent's queue and \`proof-messenger receive\` shows them with the channel's id; what was published
before is not readable. Subscribing again replaces the member key.

Examples:
  proof-messenger channel subscribe news
  proof-messenger channel subscribe news && proof-messenger receive --follow`,
  options: {},
  groups: ['server', 'channel', 'key-store', 'output'],
  async run(invocation) {
    const { io, positionals, values } = invocation;
    const channelId = channelIdArgument(positionals[0] ?? '');
    return withAgent(invocation, async (session) => {
      const epoch = await session
        .channels()
        .subscribe(channelId)
        .catch((error: unknown) => {
          throw explainChannel(error, channelId);
        });
      io.stdout(
        wantsJson(values)
          ? jsonLine({ channelId, agentId: session.keys.agentId, epoch: Number(epoch) })
          : `subscribed ${session.keys.agentId} to ${channelId} (epoch ${epoch}); its messages arrive with \`proof-messenger receive\`\n`,
      );
      return ExitCode.OK;
    });
  },
};
