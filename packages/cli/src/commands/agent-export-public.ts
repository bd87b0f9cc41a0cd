/**
 * `agent export-public`: writes an agent's public identity key history (every key with its
 * validity window) as JSON, for `verify` to check that agent's proofs with no server.
 */
import { writeFile } from 'node:fs/promises';
import { agentIdArgument } from '../agent-id-argument.ts';
import { withAgent } from '../agent-session.ts';
import type { Command } from '../command.ts';
import { ExitCode } from '../exit-code.ts';
import { optionString } from '../global-options.ts';
import { encodePublicKeyHistory, historyFromRecords } from '../public-key-history.ts';

export const agentExportPublic: Command = {
  name: 'agent export-public',
  args: '',
  arity: [0, 0],
  summary: "write an agent's public key history (JSON) for offline verification",
  description: `Writes the public identity key history of this agent (or of --agent <id>) as key-management
reports it: every identity key with its validity window and status. Give the file to whoever must
verify the agent's proofs: \`proof-messenger verify <envelope> --keys <file>\` needs no server.

The file is as trustworthy as the way it travels; export again to learn later rotations and
revocations.

Example:
  proof-messenger agent export-public --out billing-bot.keys.json`,
  options: {
    agent: {
      type: 'string',
      value: '<agent-id>',
      description: "export another agent's history (default: this agent's)",
    },
    out: { type: 'string', value: '<file>', description: 'write to this file (default: stdout)' },
  },
  groups: ['server', 'key-store'],
  async run(invocation) {
    const { io, values } = invocation;
    const other = optionString(values, 'agent');
    const agentId = other === undefined ? undefined : agentIdArgument('--agent', other);
    return withAgent(invocation, async ({ keys }) => {
      const target = agentId ?? keys.agentId;
      const { keys: records } = await keys.client.call('listKeyHistory', { agentId: target });
      const text = encodePublicKeyHistory(historyFromRecords(target, records, Date.now()));
      const out = optionString(values, 'out');
      if (out === undefined) {
        io.stdout(text);
      } else {
        await writeFile(out, text);
        io.stderr(`wrote ${records.length} identity key(s) of ${target} to ${out}\n`);
      }
      return ExitCode.OK;
    });
  },
};
