/**
 * A policy a service owner writes on top of the default permits and forbids exactly what it
 * says: forbids that win over the default permits, a size limit on publications, and a permit
 * that opens an authz_required channel to named agents.
 */
import { describe, expect, it } from 'vitest';
import {
  type AuthorizationRequest,
  CedarAuthorizer,
  type ChannelAttributes,
  loadDefaultPolicy,
} from '../src/index.ts';
import { agent, channel, onChannel, sendContext } from './support.ts';

/** What docs/policies.md shows as the example. */
export const WRITTEN_POLICY = `${loadDefaultPolicy()}
// Only the treasurer and the auditor may send to the vault agent.
@id("vault-senders")
forbid (
  principal,
  action == ProofMessenger::Action::"SendMessage",
  resource == ProofMessenger::Agent::"vault"
)
unless { principal in [ProofMessenger::Agent::"treasurer", ProofMessenger::Agent::"auditor"] };

// Nothing travels without end-to-end encryption.
@id("no-cleartext")
forbid (principal, action == ProofMessenger::Action::"SendMessage", resource)
when { context.cleartext };

// Only the pager agent sends critical messages.
@id("critical-from-pager")
forbid (principal, action == ProofMessenger::Action::"SendMessage", resource)
when { context.priority == "critical" && principal != ProofMessenger::Agent::"pager" };

// Publications are at most 64 KiB when their size is known.
@id("publish-max-64k")
forbid (principal, action == ProofMessenger::Action::"Publish", resource)
when { context has sizeBytes && context.sizeBytes > 65536 };

// The monitors may read the authz_required channel "ops-feed".
@id("ops-feed-monitors")
permit (
  principal,
  action == ProofMessenger::Action::"Subscribe",
  resource == ProofMessenger::Channel::"ops-feed"
)
when { principal in [ProofMessenger::Agent::"monitor-1", ProofMessenger::Agent::"monitor-2"] };
`;

const authorizer = new CedarAuthorizer();
authorizer.use({ version: 7, text: WRITTEN_POLICY });

const vault = agent('vault');
const send = (from: string, to = agent('bob'), context = sendContext()): AuthorizationRequest => ({
  principal: agent(from),
  action: 'SendMessage',
  resource: to,
  context,
});
const opsFeed: ChannelAttributes = { owner: 'ops-bot', policy: 'authz_required', allowlist: [] };
const open: ChannelAttributes = { owner: 'alice', policy: 'open', allowlist: [] };
const subscribeOpsFeed = (who: string): AuthorizationRequest => ({
  principal: agent(who),
  action: 'Subscribe',
  resource: channel('ops-feed'),
  resourceAttributes: opsFeed,
});

const cases: readonly (readonly [string, AuthorizationRequest, boolean, string[]])[] = [
  ['treasurer sends to the vault', send('treasurer', vault), true, ['send-any']],
  ['auditor sends to the vault', send('auditor', vault), true, ['send-any']],
  ['anyone else is refused by the vault', send('mallory', vault), false, ['vault-senders']],
  ['anyone sends to others', send('mallory'), true, ['send-any']],
  [
    'cleartext is refused',
    send('alice', agent('bob'), sendContext({ cleartext: true })),
    false,
    ['no-cleartext'],
  ],
  [
    'cleartext to the vault by mallory breaks two rules',
    send('mallory', vault, sendContext({ cleartext: true })),
    false,
    ['no-cleartext', 'vault-senders'],
  ],
  [
    'pager sends critical',
    send('pager', agent('bob'), sendContext({ priority: 'critical' })),
    true,
    ['send-any'],
  ],
  [
    'others may not send critical',
    send('alice', agent('bob'), sendContext({ priority: 'critical' })),
    false,
    ['critical-from-pager'],
  ],
  [
    'others send high',
    send('alice', agent('bob'), sendContext({ priority: 'high' })),
    true,
    ['send-any'],
  ],
  [
    'publish 64 KiB',
    onChannel(agent('carol'), 'Publish', open, { sizeBytes: 65_536 }),
    true,
    ['channel-open'],
  ],
  [
    'publish 64 KiB + 1',
    onChannel(agent('carol'), 'Publish', open, { sizeBytes: 65_537 }),
    false,
    ['publish-max-64k'],
  ],
  [
    'the owner is limited too',
    onChannel(agent('alice'), 'Publish', open, { sizeBytes: 100_000 }),
    false,
    ['publish-max-64k'],
  ],
  ['publish of unknown size', onChannel(agent('carol'), 'Publish', open), true, ['channel-open']],
  ['monitor-1 subscribes to ops-feed', subscribeOpsFeed('monitor-1'), true, ['ops-feed-monitors']],
  ['monitor-2 subscribes to ops-feed', subscribeOpsFeed('monitor-2'), true, ['ops-feed-monitors']],
  ['the owner still subscribes', subscribeOpsFeed('ops-bot'), true, ['channel-owner']],
  ['others do not', subscribeOpsFeed('carol'), false, []],
  [
    'the monitors may not publish there',
    { ...subscribeOpsFeed('monitor-1'), action: 'Publish' },
    false,
    [],
  ],
];

describe('a written policy', () => {
  it.each(cases)('%s', async (_name, request, allowed, reasons) => {
    expect(await authorizer.authorize(request)).toEqual({
      allowed,
      policyVersion: 7,
      reasons,
      errors: [],
      cached: false,
    });
  });
});
