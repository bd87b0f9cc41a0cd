/**
 * The settings flags of `channel create` and `channel update` (policy, allowlist, limits), checked
 * at the command line, and what they make of a channel: `create` takes them as they are (unset
 * limits take the server's defaults); `update` changes only what was given, because
 * UpdateChannel replaces every setting.
 */
import type { ChannelSettings } from '@proof-messenger/client-sdk';
import { type Channel, ChannelPolicy } from '@proof-messenger/proto';
import { agentIdArgument } from './agent-id-argument.ts';
import { CliError } from './cli-error.ts';
import type { OptionSpec, OptionValues } from './command.ts';
import { ExitCode } from './exit-code.ts';
import { optionString } from './global-options.ts';
import { integerOption } from './integer-option.ts';

/** The longest retention the channel service accepts: a year. */
const MAX_RETENTION_SECONDS = 365 * 86_400;
/** The wire type of the limits (uint32); the server holds them to its own maxima. */
const MAX_UINT32 = 4_294_967_295;

const POLICIES: ReadonlyMap<string, ChannelPolicy> = new Map([
  ['open', ChannelPolicy.OPEN],
  ['private', ChannelPolicy.PRIVATE],
  ['allowlist', ChannelPolicy.ALLOWLIST],
  ['authz-required', ChannelPolicy.AUTHZ_REQUIRED],
]);

/** The flags both commands take. */
export const CHANNEL_SETTING_OPTIONS: Readonly<Record<string, OptionSpec>> = {
  policy: {
    type: 'string',
    value: '<policy>',
    description:
      'open (anyone subscribes and publishes), private (the owner publishes, listed agents subscribe), allowlist (listed agents subscribe and publish) or authz-required (the authorization policy decides; the owner only until one is configured)',
  },
  allow: {
    type: 'string',
    multiple: true,
    value: '<agent-id>',
    description: 'an agent on the allowlist (repeat it, or separate ids with commas)',
  },
  retention: {
    type: 'string',
    value: '<seconds>',
    description: `how long published messages wait for subscribers, 1 to ${MAX_RETENTION_SECONDS} (default: the server's, 7 days)`,
  },
  'max-message-bytes': {
    type: 'string',
    value: '<n>',
    description: "largest envelope the channel accepts (default and upper bound: the server's)",
  },
  'max-subscribers': {
    type: 'string',
    value: '<n>',
    description: "most subscribers (default and upper bound: the server's)",
  },
};

/** The settings flags that were given, checked. */
export interface SettingChanges {
  readonly policy?: ChannelPolicy;
  readonly allowlist?: readonly string[];
  readonly retentionSeconds?: number;
  readonly maxMessageBytes?: number;
  readonly maxSubscribers?: number;
}

/** The CLI name of a policy. */
export function policyName(policy: ChannelPolicy): string {
  for (const [name, value] of POLICIES) if (value === policy) return name;
  return `unknown (${policy})`;
}

function parsePolicy(name: string): ChannelPolicy {
  const policy = POLICIES.get(name);
  if (policy === undefined) {
    throw new CliError(
      ExitCode.USAGE,
      `--policy must be one of ${[...POLICIES.keys()].join(', ')}, got ${JSON.stringify(name)}`,
    );
  }
  return policy;
}

function allowlist(values: OptionValues): string[] | undefined {
  const raw = values.allow;
  if (!Array.isArray(raw)) return undefined;
  const ids = raw.flatMap((value) => String(value).split(','));
  return [...new Set(ids.map((id) => agentIdArgument('--allow', id.trim())))];
}

/**
 * The settings flags of `values`, checked.
 * @throws CliError (USAGE) for a bad policy, agent id or number
 */
export function settingChanges(values: OptionValues): SettingChanges {
  const policy = optionString(values, 'policy');
  const allowed = allowlist(values);
  const limit = (name: string, max: number) =>
    values[name] === undefined ? undefined : integerOption(values, name, 0, 1, max);
  const retentionSeconds = limit('retention', MAX_RETENTION_SECONDS);
  const maxMessageBytes = limit('max-message-bytes', MAX_UINT32);
  const maxSubscribers = limit('max-subscribers', MAX_UINT32);
  return {
    ...(policy === undefined ? {} : { policy: parsePolicy(policy) }),
    ...(allowed === undefined ? {} : { allowlist: allowed }),
    ...(retentionSeconds === undefined ? {} : { retentionSeconds }),
    ...(maxMessageBytes === undefined ? {} : { maxMessageBytes }),
    ...(maxSubscribers === undefined ? {} : { maxSubscribers }),
  };
}

/**
 * The settings of a new channel.
 * @throws CliError (USAGE) without --policy
 */
export function newChannelSettings(channelId: string, changes: SettingChanges): ChannelSettings {
  if (changes.policy === undefined) {
    throw new CliError(
      ExitCode.USAGE,
      `a channel needs a policy: --policy ${[...POLICIES.keys()].join('|')}`,
    );
  }
  return { channelId, ...changes, policy: changes.policy };
}

/** The settings of `current` with `changes` applied. */
export function updatedChannelSettings(current: Channel, changes: SettingChanges): ChannelSettings {
  return {
    channelId: current.channelId,
    policy: changes.policy ?? current.policy,
    allowlist: changes.allowlist ?? current.allowlist,
    retentionSeconds: changes.retentionSeconds ?? current.retentionSeconds,
    maxMessageBytes: changes.maxMessageBytes ?? current.maxMessageBytes,
    maxSubscribers: changes.maxSubscribers ?? current.maxSubscribers,
  };
}
