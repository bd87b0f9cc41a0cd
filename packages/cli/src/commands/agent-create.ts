/** `agent create <agent-id>`: a new agent's identity key in a new encrypted key store (offline). */
import { agentIdArgument } from '../agent-id-argument.ts';
import { createAgentStore } from '../agent-store.ts';
import type { Command } from '../command.ts';
import { ExitCode } from '../exit-code.ts';
import { jsonLine } from '../format.ts';
import { wantsJson } from '../global-options.ts';

export const agentCreate: Command = {
  name: 'agent create',
  args: '<agent-id>',
  arity: [1, 1],
  summary: "create an agent's identity key in a new encrypted key store",
  description: `Generates the agent's identity key (ML-DSA-65 + Ed25519) into a new key store file,
encrypted under the secret from --passphrase-file, PM_KEY_STORE_PASSPHRASE or PM_KEY_STORE_KEY.
Nothing is sent: register the agent next with \`proof-messenger agent register\`.

An agent id is 1-128 characters of a-z, 0-9, '.', '_', ':' or '-', starting with a letter or digit.

Example:
  PM_KEY_STORE_PASSPHRASE=… proof-messenger agent create billing-bot --key-store ./billing.keys`,
  options: {},
  groups: ['key-store', 'output'],
  async run({ io, positionals, values }) {
    const agentId = agentIdArgument('agent-id', positionals[0] ?? '');
    const store = await createAgentStore(io, values, agentId);
    try {
      const identity = await store.keyStore.generate({ kind: 'identity', createdAtMs: Date.now() });
      if (wantsJson(values)) {
        io.stdout(jsonLine({ agentId, keyStore: store.path, identityKeyId: identity.keyId }));
      } else {
        io.stdout(
          `created agent ${agentId}\n  key store:    ${store.path}\n  identity key: ${identity.keyId}\nnext: proof-messenger agent register\n`,
        );
      }
      return ExitCode.OK;
    } finally {
      await store.keyStore.close();
    }
  },
};
