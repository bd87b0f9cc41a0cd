/**
 * `receive`: prints and acknowledges what arrived for the agent — one batch, or with `--follow`
 * everything as it arrives until Ctrl-C. Each message is verified against its sender's key and
 * decrypted before it is shown; acknowledging it sends the sender a signed receipt. Deliveries that
 * fail verification are dropped and reported on stderr.
 */
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { InvalidDelivery } from '@proof-messenger/client-sdk';
import { withAgent } from '../agent-session.ts';
import type { Command } from '../command.ts';
import { writeEnvelopeFile } from '../envelope-file.ts';
import { ExitCode } from '../exit-code.ts';
import { optionString, wantsJson } from '../global-options.ts';
import { integerOption } from '../integer-option.ts';
import { showInbound } from '../show-inbound.ts';

/** How often `--follow` tops up prekeys and acts on rotation notices. */
const MAINTENANCE_INTERVAL_MS = 60_000;

export const receive: Command = {
  name: 'receive',
  args: '',
  arity: [0, 0],
  summary: 'print and acknowledge messages and notices (--follow: until Ctrl-C)',
  description: `Receives one batch of messages and notices (waiting up to --wait ms for the first),
prints each (sender, id, priority, encrypted or signed cleartext, time, the id to reply to, the
content) and acknowledges it, which sends the sender a signed delivery receipt. With --follow it
keeps receiving until Ctrl-C. Messages from channels this agent subscribed to start with the
channel's id. Notices report on messages this agent sent: delivered (with the recipient's
verified receipt), expired, dead-lettered; and channel-deleted when a channel it subscribed to
was deleted.

Examples:
  proof-messenger receive
  proof-messenger receive --follow --json | jq .text
  proof-messenger receive --save-envelopes ./proofs`,
  options: {
    follow: { type: 'boolean', short: 'f', description: 'keep receiving until Ctrl-C' },
    wait: {
      type: 'string',
      value: '<ms>',
      description:
        'how long to wait for the first delivery (default 0; 5000 per poll with --follow)',
    },
    max: {
      type: 'string',
      value: '<n>',
      description: 'most deliveries per batch, 1-256 (default 32)',
    },
    'save-envelopes': {
      type: 'string',
      value: '<dir>',
      description: 'also write each message envelope (the proof) to <dir>/<message-id>.envelope',
    },
  },
  groups: ['server', 'key-store', 'output'],
  async run(invocation) {
    const { io, values } = invocation;
    const follow = values.follow === true;
    const waitMs = integerOption(values, 'wait', follow ? 5000 : 0, 0, 30_000);
    const maxMessages = integerOption(values, 'max', 32, 1, 256);
    const saveDir = optionString(values, 'save-envelopes');
    if (saveDir !== undefined) await mkdir(saveDir, { recursive: true });
    const json = wantsJson(values);
    const onInvalid = (invalid: InvalidDelivery) => {
      const reason = invalid.error instanceof Error ? invalid.error.message : String(invalid.error);
      io.stderr(
        `dropped a delivery that failed verification${invalid.senderId === '' ? '' : ` (from ${invalid.senderId}, id ${invalid.messageId})`}: ${reason}\n`,
      );
    };
    return withAgent(
      invocation,
      async ({ keys, client, checkServers }) => {
        await checkServers();
        if (follow) keys.start(MAINTENANCE_INTERVAL_MS, () => {});
        let count = 0;
        for await (const item of client().receive({
          signal: io.signal,
          waitMs,
          maxMessages,
          once: !follow,
        })) {
          if (item.kind === 'message' && saveDir !== undefined) {
            await writeEnvelopeFile(join(saveDir, `${item.messageId}.envelope`), item.envelope);
          }
          io.stdout(showInbound(item, json));
          await item.ack();
          count += 1;
        }
        if (!follow) {
          if (count === 0 && !json) io.stderr(`no messages for ${keys.agentId}\n`);
          // Messages used up one-time prekeys: top them up, act on rotation notices.
          await keys.maintain();
        }
        return ExitCode.OK;
      },
      onInvalid,
    );
  },
};
