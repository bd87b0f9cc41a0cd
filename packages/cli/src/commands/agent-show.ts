/**
 * `agent show`: what the key store holds (agent id, identity key, prekeys and session keys by
 * count; never secrets) and, unless `--offline`, what key-management knows: registered or not,
 * the current key, revocation, one-time prekeys left.
 */
import { KEY_KINDS, type KeyKind } from '@proof-messenger/client-sdk';
import { Code, ProofMessengerError } from '@proof-messenger/errors';
import { KeyStatus } from '@proof-messenger/proto';
import { withAgent } from '../agent-session.ts';
import type { Command } from '../command.ts';
import { ExitCode } from '../exit-code.ts';
import { isoTime, jsonLine } from '../format.ts';
import { wantsJson } from '../global-options.ts';

interface ServerView {
  readonly registered: boolean;
  readonly registeredAt?: string;
  readonly currentKeyId?: string;
  readonly revoked?: boolean;
  readonly oneTimePrekeysRemaining?: number;
}

export const agentShow: Command = {
  name: 'agent show',
  args: '',
  arity: [0, 0],
  summary: 'show the agent: its keys, and its registration on the server',
  description: `Shows the key store's agent: id, identity key id, how many prekeys and session keys the
key store holds (no secrets), and, unless --offline, its registration as key-management sees it.`,
  options: {
    offline: { type: 'boolean', description: 'only read the key store; do not ask the server' },
  },
  groups: ['server', 'key-store', 'output'],
  async run(invocation) {
    const { io, values } = invocation;
    return withAgent(invocation, async ({ store, keys }) => {
      const counts = Object.fromEntries(KEY_KINDS.map((kind) => [kind, 0])) as Record<
        KeyKind,
        number
      >;
      for (const record of await store.keyStore.list()) counts[record.kind] += 1;
      let server: ServerView | undefined;
      if (values.offline !== true) {
        try {
          const { identity } = await keys.client.call('getIdentity', { agentId: keys.agentId });
          const { oneTimePrekeysRemaining } = await keys.client.call('getPrekeyCount', {});
          server = {
            registered: true,
            registeredAt: isoTime(identity?.registeredAtMs ?? 0n),
            currentKeyId: identity?.currentKey?.key?.keyId ?? '',
            revoked:
              identity?.revoked === true || identity?.currentKey?.status === KeyStatus.REVOKED,
            oneTimePrekeysRemaining,
          };
        } catch (error) {
          // An identity the server does not know cannot authenticate: that is the answer here.
          if (!(error instanceof ProofMessengerError) || error.code !== Code.NOT_FOUND) throw error;
          server = { registered: false };
        }
      }
      const local = {
        agentId: keys.agentId,
        keyStore: store.path,
        identityKeyId: keys.signer.keyId,
        keys: counts,
      };
      if (wantsJson(values)) {
        io.stdout(jsonLine(server === undefined ? local : { ...local, server }));
        return ExitCode.OK;
      }
      const lines = [
        `agent ${local.agentId}`,
        `  key store:        ${local.keyStore}`,
        `  identity key:     ${local.identityKeyId}`,
        `  prekeys:          ${counts['signed-prekey']} signed, ${counts['one-time-prekey']} one-time`,
        `  session keys:     ${counts.session}`,
        `  channel keys:     ${counts['channel-member']} member, ${counts['channel-sender']} sender`,
      ];
      if (server?.registered === false) {
        lines.push('  registered:       no (run `proof-messenger agent register`)');
      } else if (server !== undefined) {
        lines.push(`  registered:       ${server.registeredAt}`);
        lines.push(
          `  server key:       ${server.currentKeyId}${server.currentKeyId === local.identityKeyId ? '' : ' (not the key in this key store)'}`,
        );
        if (server.revoked === true) lines.push('  revoked:          yes');
        lines.push(`  one-time prekeys: ${server.oneTimePrekeysRemaining} left on the server`);
      }
      io.stdout(`${lines.join('\n')}\n`);
      return ExitCode.OK;
    });
  },
};
