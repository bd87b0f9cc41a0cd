/**
 * `agent register`: registers the key store's identity key with key-management (proof of
 * possession: the registration is signed by the key it registers) and uploads prekeys, so others
 * can send to the agent. Running it again for an agent already registered with this very key
 * only tops up the prekeys, so scripts may run it on every start.
 */
import { Code, ProofMessengerError } from '@proof-messenger/errors';
import { withAgent } from '../agent-session.ts';
import { CliError } from '../cli-error.ts';
import type { Command } from '../command.ts';
import { ExitCode } from '../exit-code.ts';
import { jsonLine } from '../format.ts';
import { optionString, wantsJson } from '../global-options.ts';

export const agentRegister: Command = {
  name: 'agent register',
  args: '',
  arity: [0, 0],
  summary: "register the agent's identity key and upload its prekeys",
  description: `Registers the identity key of the key store's agent with key-management and uploads
a signed prekey and one-time prekeys. Distributed deployments need an enrollment credential an
operator issued (IssueEnrollmentCredential); the embedded platform lets callers on loopback
register without one.

Example:
  proof-messenger agent register --enrollment-credential "$CREDENTIAL"`,
  options: {
    'enrollment-credential': {
      type: 'string',
      value: '<credential>',
      description: 'single-use credential from an operator (env PM_ENROLLMENT_CREDENTIAL)',
    },
  },
  groups: ['server', 'key-store', 'output'],
  async run(invocation) {
    const { io, values } = invocation;
    const credential =
      optionString(values, 'enrollment-credential') ?? io.env.PM_ENROLLMENT_CREDENTIAL ?? '';
    return withAgent(invocation, async ({ keys }) => {
      let already = false;
      try {
        await keys.register(credential);
      } catch (error) {
        if (!(error instanceof ProofMessengerError) || error.code !== Code.ALREADY_EXISTS)
          throw error;
        const identity = await keys.client.call('getIdentity', { agentId: keys.agentId }).then(
          (response) => response.identity,
          () => undefined,
        );
        if (identity?.currentKey?.key?.keyId !== keys.signer.keyId) {
          throw new CliError(
            ExitCode.FAILURE,
            `agent ${keys.agentId} is already registered with another identity key (this key store holds ${keys.signer.keyId}): use the key store that registered it, or create an agent with another id`,
            { cause: error },
          );
        }
        already = true;
      }
      const prekeys = await keys.ensurePrekeys();
      if (wantsJson(values)) {
        io.stdout(
          jsonLine({
            agentId: keys.agentId,
            identityKeyId: keys.signer.keyId,
            alreadyRegistered: already,
            oneTimePrekeys: prekeys,
          }),
        );
      } else {
        io.stdout(
          `${already ? 'already registered' : 'registered'} ${keys.agentId} (identity key ${keys.signer.keyId}); ${prekeys} one-time prekeys on the server\n`,
        );
      }
      return ExitCode.OK;
    });
  },
};
