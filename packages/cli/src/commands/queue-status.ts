/**
 * `queue status [<agent-id>]` (also `queue <agent-id>`): the counts of an agent's queue from
 * GetQueueState. As an agent (the key store's) it reads its own queue; with an operator credential
 * it reads any agent's, and needs no key store.
 */
import { EnvelopeProcessorService, type GetQueueStateResponse } from '@proof-messenger/proto';
import { PromiseClient } from '@proof-messenger/rpc';
import { agentIdArgument } from '../agent-id-argument.ts';
import { withAgent } from '../agent-session.ts';
import { CliError } from '../cli-error.ts';
import type { Command } from '../command.ts';
import { ExitCode } from '../exit-code.ts';
import { jsonLine } from '../format.ts';
import { serverAddresses, wantsJson } from '../global-options.ts';
import { OPERATOR_CREDENTIAL_OPTION, operatorCredential } from '../operator-credential.ts';

function show(state: GetQueueStateResponse, json: boolean): string {
  const ready = state.ready ?? { low: 0, normal: 0, high: 0, critical: 0 };
  const total = ready.low + ready.normal + ready.high + ready.critical;
  if (json) {
    return jsonLine({
      agentId: state.agentId,
      partition: state.partition,
      ready: { critical: ready.critical, high: ready.high, normal: ready.normal, low: ready.low },
      inFlight: state.inFlight,
      deadLettered: state.deadLettered,
    });
  }
  return [
    `queue of ${state.agentId} (partition ${state.partition})`,
    `  ready:         ${total} (critical ${ready.critical}, high ${ready.high}, normal ${ready.normal}, low ${ready.low})`,
    `  in flight:     ${state.inFlight}`,
    `  dead-lettered: ${state.deadLettered}`,
    '',
  ].join('\n');
}

export const queueStatus: Command = {
  name: 'queue status',
  args: '[<agent-id>]',
  arity: [0, 1],
  summary: "show an agent's queue: ready by priority, in flight, dead-lettered",
  description: `Shows the state of a queue: messages waiting by priority, delivered but not yet
acknowledged (in flight), and dead-lettered. An agent sees its own queue (the key store's agent);
an operator names any agent and needs no key store. \`queue <agent-id>\` is the same as
\`queue status <agent-id>\`.

The embedded platform writes its operator credential to <data dir>/operator.credential.

Examples:
  proof-messenger queue status
  proof-messenger queue status billing-bot --operator-credential-file .data/operator.credential`,
  options: {
    'operator-credential-file': OPERATOR_CREDENTIAL_OPTION,
  },
  groups: ['server', 'key-store', 'output'],
  async run(invocation) {
    const { io, positionals, values } = invocation;
    const named = positionals[0];
    const agentId = named === undefined ? '' : agentIdArgument('agent-id', named);
    const json = wantsJson(values);
    const credential = await operatorCredential(io, values);
    if (credential !== undefined) {
      if (agentId === '') {
        throw new CliError(
          ExitCode.USAGE,
          'as an operator, name the agent: queue status <agent-id>',
        );
      }
      const rpc = new PromiseClient(
        EnvelopeProcessorService,
        serverAddresses(io, values).envelopeProcessor,
      );
      try {
        const state = await rpc.call(
          'getQueueState',
          { agentId },
          { metadata: { authorization: `Operator ${credential}` } },
        );
        io.stdout(show(state, json));
        return ExitCode.OK;
      } finally {
        rpc.close();
      }
    }
    return withAgent(invocation, async ({ checkServers }) => {
      const state = await checkServers(agentId);
      io.stdout(show(state, json));
      return ExitCode.OK;
    });
  },
};
