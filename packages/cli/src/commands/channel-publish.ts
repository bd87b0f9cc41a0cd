/**
 * `channel publish <channel-id> <text|->`: one message to every current subscriber, encrypted
 * under this agent's sender key for the channel's epoch (or signed cleartext). Each run makes a
 * new sender key and sends it to the members first (the SDK remembers holders only in memory).
 */
import { withAgent } from '../agent-session.ts';
import { channelIdArgument } from '../channel-id-argument.ts';
import type { Command } from '../command.ts';
import { ExitCode } from '../exit-code.ts';
import { explainChannel } from '../explain-channel.ts';
import { jsonLine } from '../format.ts';
import { wantsJson } from '../global-options.ts';
import { messageContent, SEND_OPTIONS, sendOptions } from '../message-input.ts';

const { 'save-envelope': _notForChannels, ...PUBLISH_OPTIONS } = SEND_OPTIONS;

export const channelPublish: Command = {
  name: 'channel publish',
  args: '<channel-id> [<text>|-]',
  arity: [1, 2],
  summary: 'publish a message to every subscriber of a channel',
  description: `Publishes the text (or stdin with -, or a file with --file) to the channel's current
subscribers, end-to-end encrypted (--cleartext: signed, readable) and signed with this agent's
identity key. Prints the message id, the epoch it was encrypted for and how many subscribers it
goes to. Who may publish is the channel's policy.

Examples:
  proof-messenger channel publish news "release 1.4 is out"
  git log -1 | proof-messenger channel publish ops - --priority high`,
  options: PUBLISH_OPTIONS,
  groups: ['server', 'channel', 'key-store', 'output'],
  async run(invocation) {
    const { io, positionals, values } = invocation;
    const channelId = channelIdArgument(positionals[0] ?? '');
    const content = await messageContent(io, values, positionals[1]);
    const options = sendOptions(values, content.isText);
    return withAgent(invocation, async (session) => {
      const sent = await session
        .channels()
        .publish(channelId, content.bytes, options)
        .catch((error: unknown) => {
          throw explainChannel(error, channelId);
        });
      const subscribers = `${sent.subscriberCount} subscriber${sent.subscriberCount === 1 ? '' : 's'}`;
      io.stdout(
        wantsJson(values)
          ? jsonLine({
              messageId: sent.messageId,
              channelId,
              epoch: Number(sent.epoch),
              subscriberCount: sent.subscriberCount,
              keysDistributed: sent.keysDistributed,
            })
          : `published ${sent.messageId} to ${channelId} · epoch ${sent.epoch} · ${subscribers}\n`,
      );
      return ExitCode.OK;
    });
  },
};
