/**
 * Options shared by many commands, and how they resolve against the environment: the server
 * addresses (the embedded platform serves everything on one port; separately started services
 * have one each), the agent's key store and its secret, and JSON output.
 *
 * The channel service's address is a group of its own: only the `channel` commands call it
 * (channel messages reach subscribers through the envelope processor's queue). So is the
 * governance service's (PolicyService, AuditService): only the `policy` and `audit` commands call it.
 */
import { homedir } from 'node:os';
import { join } from 'node:path';
import type { CliIo, OptionGroup, OptionSpec, OptionValues } from './command.ts';

/** The platform's (and key-management's) default address. */
export const DEFAULT_ADDRESS = '127.0.0.1:50051';

export const GLOBAL_OPTIONS: Readonly<Record<OptionGroup, Readonly<Record<string, OptionSpec>>>> = {
  server: {
    address: {
      type: 'string',
      value: '<host:port>',
      description: `the platform, or key-management when the services run apart (env PM_ADDRESS; default ${DEFAULT_ADDRESS})`,
    },
    'envelope-processor': {
      type: 'string',
      value: '<host:port>',
      description:
        'the envelope processor when it is not at --address (env PM_ENVELOPE_PROCESSOR_ADDRESS)',
    },
  },
  channel: {
    'channel-address': {
      type: 'string',
      value: '<host:port>',
      description: 'the channel service when it is not at --address (env PM_CHANNEL_ADDRESS)',
    },
  },
  governance: {
    'governance-address': {
      type: 'string',
      value: '<host:port>',
      description:
        'the governance service (policies, audit log) when it is not at --address (env PM_GOVERNANCE_ADDRESS)',
    },
  },
  'key-store': {
    'key-store': {
      type: 'string',
      value: '<file>',
      description:
        "the agent's encrypted key store (env PM_KEY_STORE; default ~/.proof-messenger/agent.keys)",
    },
    'passphrase-file': {
      type: 'string',
      value: '<file>',
      description:
        'read the key store passphrase from this file (else env PM_KEY_STORE_PASSPHRASE, or PM_KEY_STORE_KEY: a 32-byte key in base64)',
    },
  },
  output: {
    json: { type: 'boolean', description: 'print JSON (one object per line) instead of text' },
  },
};

export const HELP_OPTION: OptionSpec = {
  type: 'boolean',
  short: 'h',
  description: 'show this help',
};

function stringValue(values: OptionValues, name: string): string | undefined {
  const value = values[name];
  return typeof value === 'string' ? value : undefined;
}

/** A string option's value, or undefined. */
export function optionString(values: OptionValues, name: string): string | undefined {
  return stringValue(values, name);
}

/** Where the services are; each defaults to `--address` (the platform serves all on one port). */
export interface ServerAddresses {
  readonly keyManagement: string;
  readonly envelopeProcessor: string;
  readonly channel: string;
  readonly governance: string;
}

/** The addresses to call: key-management (or the platform), the envelope processor, channels, governance. */
export function serverAddresses(io: CliIo, values: OptionValues): ServerAddresses {
  const keyManagement = stringValue(values, 'address') ?? (io.env.PM_ADDRESS || DEFAULT_ADDRESS);
  const envelopeProcessor =
    stringValue(values, 'envelope-processor') ??
    (io.env.PM_ENVELOPE_PROCESSOR_ADDRESS || keyManagement);
  const channel =
    stringValue(values, 'channel-address') ?? (io.env.PM_CHANNEL_ADDRESS || keyManagement);
  const governance =
    stringValue(values, 'governance-address') ?? (io.env.PM_GOVERNANCE_ADDRESS || keyManagement);
  return { keyManagement, envelopeProcessor, channel, governance };
}

/** Where the key store file is. */
export function keyStorePath(io: CliIo, values: OptionValues): string {
  return (
    stringValue(values, 'key-store') ??
    (io.env.PM_KEY_STORE || join(io.env.HOME || homedir(), '.proof-messenger', 'agent.keys'))
  );
}

/** Whether to print JSON. */
export function wantsJson(values: OptionValues): boolean {
  return values.json === true;
}
