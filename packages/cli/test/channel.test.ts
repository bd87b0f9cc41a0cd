/**
 * The `channel` commands as users run them: a child process per command against the embedded
 * platform (key management, envelope processor and channels on one port, started here on port 0
 * with a temp data folder; registration is open from loopback). Every agent is its own key store,
 * so a member key made by `channel subscribe` has to survive in the file for a later `receive`
 * process to open what another agent's `channel publish` process sent. Exact output, exit codes
 * and messages for each command and its refusals.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { nativeProvider } from '@proof-messenger/crypto';
import { createPlatform, loadPlatformConfig, type Platform } from '@proof-messenger/platform';
import { silentLogger } from '@proof-messenger/rpc';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type CliResult, newKeyStoreKey, runCli } from './cli-harness.ts';

const ISO = '\\d{4}-\\d{2}-\\d{2}T\\d{2}:\\d{2}:\\d{2}\\.\\d{3}Z';
const UUID = '[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[0-9a-f]{4}-[0-9a-f]{12}';
/** The channel service's defaults (services/channel/src/config.ts). */
const DEFAULTS = { retentionSeconds: 604_800, maxMessageBytes: 262_144, maxSubscribers: 10_000 };

/** The text `channel show` / `create` / `update` print, as a pattern (the creation time varies). */
function channelBlock(
  title: string,
  fields: {
    owner: string;
    policy: string;
    allowlist: string;
    epoch: number;
    maxSubscribers?: number;
  },
): RegExp {
  const escaped = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  return new RegExp(
    `^${escaped(
      [
        title,
        `  owner:             ${fields.owner}`,
        `  policy:            ${fields.policy}`,
        `  allowlist:         ${fields.allowlist}`,
        `  epoch:             ${fields.epoch}`,
        `  retention:         ${DEFAULTS.retentionSeconds} s`,
        `  max message bytes: ${DEFAULTS.maxMessageBytes}`,
        `  max subscribers:   ${fields.maxSubscribers ?? DEFAULTS.maxSubscribers}`,
        '  created:           ',
      ].join('\n'),
    )}${ISO}\\n$`,
  );
}

// Every step is a CLI process (~1-2 s to start on a busy 2-core machine): a larger budget per test.
describe('proof-messenger channel', { timeout: 90_000 }, () => {
  let platform: Platform;
  let address: string;
  let dataDir: string;
  let dir: string;
  const key = newKeyStoreKey();

  beforeAll(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'pm-cli-channel-data-'));
    dir = mkdtempSync(join(tmpdir(), 'pm-cli-channel-'));
    platform = await createPlatform(
      loadPlatformConfig({ PM_DATA_DIR: dataDir, PM_GRPC_PORT: '0', PM_KEY_CACHE_TTL_MS: '0' }),
      { provider: nativeProvider, log: silentLogger },
    );
    address = `127.0.0.1:${await platform.start()}`;
  });

  afterAll(async () => {
    await platform.destroy();
    rmSync(dataDir, { recursive: true, force: true });
    rmSync(dir, { recursive: true, force: true });
  });

  function envOf(name: string, extra: Record<string, string> = {}): Record<string, string> {
    return {
      HOME: dir,
      PM_ADDRESS: address,
      PM_KEY_STORE: join(dir, `${name}.keys`),
      PM_KEY_STORE_KEY: key,
      ...extra,
    };
  }

  function pm(
    name: string,
    args: readonly string[],
    extra: Record<string, string> = {},
    stdin: Uint8Array | string = '',
  ): Promise<CliResult> {
    return runCli(args, envOf(name, extra), stdin);
  }

  async function registered(name: string): Promise<void> {
    expect((await pm(name, ['agent', 'create', name])).code).toBe(0);
    const result = await pm(name, ['agent', 'register']);
    expect(result.code).toBe(0);
    expect(result.stderr).toBe('');
  }

  /** The agent's channel key counts, from the key store file alone. */
  async function channelKeys(name: string): Promise<{ member: number; sender: number }> {
    const shown = await pm(name, ['agent', 'show', '--offline', '--json']);
    expect(shown.code).toBe(0);
    const { keys } = JSON.parse(shown.stdout) as { keys: Record<string, number> };
    return { member: keys['channel-member'] ?? -1, sender: keys['channel-sender'] ?? -1 };
  }

  /**
   * Runs `receive` (one batch each) until `count` items were printed: the fanout into members'
   * queues runs beside Publish, so the first batch may come before it.
   */
  async function receiveItems(name: string, count: number, json: boolean): Promise<string> {
    let stdout = '';
    const items = () =>
      json
        ? stdout.split('\n').filter((line) => line !== '').length
        : (stdout.match(/^(channel \S+ · from |notice )/gm) ?? []).length;
    const deadline = Date.now() + 20_000;
    while (items() < count && Date.now() < deadline) {
      const got = await pm(name, ['receive', '--wait', '2000', ...(json ? ['--json'] : [])]);
      expect(got.code).toBe(0);
      stdout += got.stdout;
    }
    return stdout;
  }

  it('lists the channel commands, and refuses bad arguments with exit 2 before calling anyone', async () => {
    const help = await runCli(['--help'], {});
    expect(help.stdout).toContain(
      '  channel create        create a channel this agent owns (--policy open|private|allowlist|authz-required)\n',
    );
    expect(help.stdout).toContain(
      '  channel publish       publish a message to every subscriber of a channel\n',
    );
    expect(await runCli(['channel', 'frob'], {})).toEqual({
      code: 2,
      stdout: '',
      stderr:
        'error: unknown command "channel frob"; channel has: create, show, update, delete, subscribe, unsubscribe, publish, subscribers (run `proof-messenger --help`)\n',
    });
    const createHelp = await runCli(['channel', 'create', '--help'], {});
    expect(createHelp.code).toBe(0);
    expect(createHelp.stdout).toMatch(
      /^Usage: proof-messenger channel create <channel-id> \[options\]\n/,
    );
    expect(createHelp.stdout).toContain(
      '      --channel-address <host:port>    the channel service when it is not at --address (env PM_CHANNEL_ADDRESS)\n',
    );
    // No key store exists for "nobody": every one of these fails on its arguments first.
    const usage = (command: string, message: string) => ({
      code: 2,
      stdout: '',
      stderr: `error: ${message}\n(run \`proof-messenger channel ${command} --help\` for usage)\n`,
    });
    expect(await pm('nobody', ['channel', 'create', 'news', '--policy', 'secret'])).toEqual(
      usage(
        'create',
        '--policy must be one of open, private, allowlist, authz-required, got "secret"',
      ),
    );
    expect(await pm('nobody', ['channel', 'create', 'news'])).toEqual(
      usage('create', 'a channel needs a policy: --policy open|private|allowlist|authz-required'),
    );
    expect(await pm('nobody', ['channel', 'create', 'News!', '--policy', 'open'])).toEqual(
      usage(
        'create',
        `channel-id must be 1-128 characters of a-z, 0-9, '.', '_' or '-' starting with a letter or digit, got "News!"`,
      ),
    );
    expect(
      await pm('nobody', ['channel', 'create', 'news', '--policy', 'open', '--allow', 'Bob!']),
    ).toEqual(
      usage(
        'create',
        `--allow must be 1-128 characters of a-z, 0-9, '.', '_', ':' or '-' starting with a letter or digit, got "Bob!"`,
      ),
    );
    expect(
      await pm('nobody', ['channel', 'create', 'news', '--policy', 'open', '--retention', '0']),
    ).toEqual(usage('create', '--retention must be a whole number from 1 to 31536000, got "0"'));
    expect(await pm('nobody', ['channel', 'update', 'news'])).toEqual(
      usage(
        'update',
        'nothing to change: give --policy, --allow, --clear-allowlist, --retention, --max-message-bytes or --max-subscribers',
      ),
    );
    expect(
      await pm('nobody', ['channel', 'update', 'news', '--allow', 'bob', '--clear-allowlist']),
    ).toEqual(usage('update', 'give --allow or --clear-allowlist, not both'));
    expect(await pm('nobody', ['channel', 'publish', 'news'])).toEqual(
      usage('publish', 'no content: give it as text, as - (stdin), or with --file <path>'),
    );
    expect(await pm('nobody', ['channel', 'publish', 'news', 'x', '--save-envelope', 'f'])).toEqual(
      usage(
        'publish',
        `Unknown option '--save-envelope'. To specify a positional argument starting with a '-', place it at the end of the command after '--', as in '-- "--save-envelope"`,
      ),
    );
    expect(await pm('nobody', ['channel', 'show'])).toEqual(
      usage('show', 'channel show takes <channel-id>, got none'),
    );
  });

  it('creates, shows, updates, lists and deletes a channel as its owner', async () => {
    await registered('oona');
    await registered('olaf');
    const created = await pm('oona', [
      'channel',
      'create',
      'board',
      '--policy',
      'private',
      '--allow',
      'olaf,pia',
      '--allow',
      'olaf',
    ]);
    expect(created.code).toBe(0);
    expect(created.stderr).toBe('');
    expect(created.stdout).toMatch(
      channelBlock('created channel board', {
        owner: 'oona',
        policy: 'private',
        allowlist: 'olaf, pia',
        epoch: 1,
      }),
    );
    // Anyone may read the settings; only the owner sees the allowlist.
    const seen = await pm('olaf', ['channel', 'show', 'board']);
    expect(seen.code).toBe(0);
    expect(seen.stdout).toMatch(
      channelBlock('channel board', {
        owner: 'oona',
        policy: 'private',
        allowlist: '(shown to the owner only)',
        epoch: 1,
      }),
    );
    const json = await pm('oona', ['channel', 'show', 'board', '--json']);
    expect(json.code).toBe(0);
    expect(JSON.parse(json.stdout)).toEqual({
      channelId: 'board',
      ownerId: 'oona',
      policy: 'private',
      allowlist: ['olaf', 'pia'],
      epoch: 1,
      ...DEFAULTS,
      createdAtMs: expect.any(Number),
    });
    expect(
      Object.keys(JSON.parse((await pm('olaf', ['channel', 'show', 'board', '--json'])).stdout)),
    ).not.toContain('allowlist');

    expect(await pm('olaf', ['channel', 'subscribe', 'board'])).toEqual({
      code: 0,
      stdout:
        'subscribed olaf to board (epoch 2); its messages arrive with `proof-messenger receive`\n',
      stderr: '',
    });
    expect(await pm('oona', ['channel', 'subscribers', 'board'])).toEqual({
      code: 0,
      stdout: 'olaf\n',
      stderr: '',
    });
    expect(await pm('oona', ['channel', 'subscribers', 'board', '--json'])).toEqual({
      code: 0,
      stdout: '{"channelId":"board","subscribers":["olaf"]}\n',
      stderr: '',
    });

    // Only the limit changes; policy and allowlist are kept.
    const limited = await pm('oona', ['channel', 'update', 'board', '--max-subscribers', '5']);
    expect(limited.code).toBe(0);
    expect(limited.stdout).toMatch(
      channelBlock('updated channel board', {
        owner: 'oona',
        policy: 'private',
        allowlist: 'olaf, pia',
        epoch: 2,
        maxSubscribers: 5,
      }),
    );
    // Taking olaf off the allowlist removes him at once (a new epoch).
    const removed = await pm('oona', ['channel', 'update', 'board', '--allow', 'pia', '--json']);
    expect(removed.code).toBe(0);
    expect(JSON.parse(removed.stdout)).toMatchObject({
      policy: 'private',
      allowlist: ['pia'],
      epoch: 3,
      maxSubscribers: 5,
    });
    expect(await pm('oona', ['channel', 'subscribers', 'board'])).toEqual({
      code: 0,
      stdout: '',
      stderr: 'no subscribers on board\n',
    });
    const cleared = await pm('oona', [
      'channel',
      'update',
      'board',
      '--clear-allowlist',
      '--policy',
      'open',
      '--json',
    ]);
    expect(JSON.parse(cleared.stdout)).toMatchObject({ policy: 'open', allowlist: [], epoch: 3 });

    expect(await pm('oona', ['channel', 'delete', 'board'])).toEqual({
      code: 0,
      stdout: 'deleted channel board; its subscribers get a channel-deleted notice\n',
      stderr: '',
    });
    expect(await pm('oona', ['channel', 'show', 'board'])).toEqual({
      code: 4,
      stdout: '',
      stderr:
        'error: channel board does not exist: check the channel id, or create it with `proof-messenger channel create board --policy <policy>`\n',
    });
  }, 90_000);

  it('subscribes in one process, publishes from another agent, and receives in a third', async () => {
    await registered('pub');
    await registered('sub');
    expect((await pm('pub', ['channel', 'create', 'news', '--policy', 'open'])).code).toBe(0);

    const subscribed = await pm('sub', ['channel', 'subscribe', 'news', '--json']);
    expect(subscribed).toEqual({
      code: 0,
      stdout: '{"channelId":"news","agentId":"sub","epoch":2}\n',
      stderr: '',
    });
    // The member key is in the key store file, not in the process that made it.
    expect(await channelKeys('sub')).toEqual({ member: 1, sender: 0 });

    const published = await pm('pub', ['channel', 'publish', 'news', 'release 1.4 is out']);
    expect(published.code).toBe(0);
    expect(published.stderr).toBe('');
    const [, messageId] =
      published.stdout.match(
        new RegExp(`^published (${UUID}) to news · epoch 2 · 1 subscriber\\n$`),
      ) ?? [];
    expect(messageId).toBeDefined();

    const received = await receiveItems('sub', 1, false);
    expect(received).toMatch(
      new RegExp(
        `^channel news · from pub · id ${messageId} · priority normal · encrypted · sent ${ISO}\\nreply-to: ${messageId}\\nrelease 1\\.4 is out\\n$`,
      ),
    );
    // The sender key that came with it was kept for later messages of that epoch.
    expect(await channelKeys('sub')).toEqual({ member: 1, sender: 1 });
    // Channel messages send the publisher no receipts.
    expect(await pm('pub', ['receive'])).toEqual({
      code: 0,
      stdout: '',
      stderr: 'no messages for pub\n',
    });

    // From stdin and as signed cleartext, in JSON.
    const fromStdin = await pm(
      'pub',
      ['channel', 'publish', 'news', '-', '--content-type', 'application/octet-stream', '--json'],
      {},
      new Uint8Array([0xff, 0x00, 0x01]),
    );
    expect(fromStdin.code).toBe(0);
    const stdinResult = JSON.parse(fromStdin.stdout) as { messageId: string };
    expect(JSON.parse(fromStdin.stdout)).toEqual({
      messageId: expect.stringMatching(new RegExp(`^${UUID}$`)),
      channelId: 'news',
      epoch: 2,
      subscriberCount: 1,
      // A new process makes a new sender key and sends it to the member again.
      keysDistributed: 1,
    });
    const cleartext = await pm('pub', [
      'channel',
      'publish',
      'news',
      'signed, not secret',
      '--cleartext',
      '--priority',
      'high',
    ]);
    expect(cleartext.code).toBe(0);
    const items = (await receiveItems('sub', 2, true))
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(
      items.map((item) => [item.channelId, item.priority, item.cleartext, item.contentBase64]),
    ).toEqual([
      ['news', 'high', true, Buffer.from('signed, not secret').toString('base64')],
      ['news', 'normal', false, '/wAB'],
    ]);
    expect(items[1]).toEqual({
      kind: 'message',
      messageId: stdinResult.messageId,
      senderId: 'pub',
      channelId: 'news',
      correlationId: '',
      replyTo: stdinResult.messageId,
      priority: 'normal',
      contentType: 'application/octet-stream',
      cleartext: false,
      createdAtMs: expect.any(Number),
      deliveryCount: 1,
      contentBase64: '/wAB',
    });

    // Unsubscribed: the next message goes to nobody.
    expect(await pm('sub', ['channel', 'unsubscribe', 'news'])).toEqual({
      code: 0,
      stdout: 'unsubscribed sub from news\n',
      stderr: '',
    });
    const unheard = await pm('pub', ['channel', 'publish', 'news', 'anyone?']);
    expect(unheard.stdout).toMatch(
      new RegExp(`^published ${UUID} to news · epoch 3 · 0 subscribers\\n$`),
    );
    expect(await pm('sub', ['channel', 'unsubscribe', 'news'])).toEqual({
      code: 4,
      stdout: '',
      stderr: 'error: sub is not subscribed to news (NOT_FOUND)\n',
    });
  }, 120_000);

  it('shows a channel-deleted notice to every subscriber', async () => {
    await registered('host');
    await registered('guest');
    await registered('guest2');
    expect((await pm('host', ['channel', 'create', 'party', '--policy', 'open'])).code).toBe(0);
    expect((await pm('guest', ['channel', 'subscribe', 'party'])).code).toBe(0);
    expect((await pm('guest2', ['channel', 'subscribe', 'party'])).code).toBe(0);
    expect((await pm('host', ['channel', 'delete', 'party'])).code).toBe(0);

    expect(await receiveItems('guest', 1, false)).toMatch(
      new RegExp(
        `^notice channel-deleted · channel party · at ${ISO} · channel party was deleted by host\\n$`,
      ),
    );
    expect(JSON.parse(await receiveItems('guest2', 1, true))).toEqual({
      kind: 'notice',
      notice: 'channel-deleted',
      channelId: 'party',
      atMs: expect.any(Number),
      reason: 'channel party was deleted by host',
    });
  }, 90_000);

  it("refuses what the channel's policy or ownership does not allow, with the server's message", async () => {
    await registered('rita');
    await registered('rolf');
    expect(
      (await pm('rita', ['channel', 'create', 'vault', '--policy', 'private', '--allow', 'rolf']))
        .code,
    ).toBe(0);
    expect(await pm('rita', ['channel', 'create', 'vault', '--policy', 'open'])).toEqual({
      code: 1,
      stdout: '',
      stderr: 'error: channel vault already exists (ALREADY_EXISTS)\n',
    });
    expect(await pm('rolf', ['channel', 'update', 'vault', '--policy', 'open'])).toEqual({
      code: 1,
      stdout: '',
      stderr:
        'error: agent rolf may not update channel vault: no policy permits it (policy version 1) (PERMISSION_DENIED)\n',
    });
    expect(await pm('rolf', ['channel', 'delete', 'vault'])).toEqual({
      code: 1,
      stdout: '',
      stderr:
        'error: agent rolf may not delete channel vault: no policy permits it (policy version 1) (PERMISSION_DENIED)\n',
    });
    expect(await pm('rolf', ['channel', 'subscribers', 'vault'])).toEqual({
      code: 1,
      stdout: '',
      stderr:
        'error: only the owner (rita) or an operator may list the subscribers of channel vault (PERMISSION_DENIED)\n',
    });
    // Listed, rolf may subscribe to the private channel, but only its owner publishes.
    expect((await pm('rolf', ['channel', 'subscribe', 'vault'])).code).toBe(0);
    expect(await pm('rolf', ['channel', 'publish', 'vault', 'hi'])).toEqual({
      code: 1,
      stdout: '',
      stderr:
        'error: agent rolf may not publish on private channel vault: no policy permits it (policy version 1) (PERMISSION_DENIED)\n',
    });

    // Not on the list: refused, and the member key made for it is gone from the key store.
    await registered('rudi');
    expect(await pm('rudi', ['channel', 'subscribe', 'vault'])).toEqual({
      code: 1,
      stdout: '',
      stderr:
        'error: agent rudi may not subscribe on private channel vault: no policy permits it (policy version 1) (PERMISSION_DENIED)\n',
    });
    expect(await channelKeys('rudi')).toEqual({ member: 0, sender: 0 });

    // Unknown channels are exit 4, for every command that names one.
    const unknown = {
      code: 4,
      stdout: '',
      stderr:
        'error: channel nowhere does not exist: check the channel id, or create it with `proof-messenger channel create nowhere --policy <policy>`\n',
    };
    expect(await pm('rudi', ['channel', 'show', 'nowhere'])).toEqual(unknown);
    expect(await pm('rudi', ['channel', 'subscribe', 'nowhere'])).toEqual(unknown);
    expect(await pm('rudi', ['channel', 'unsubscribe', 'nowhere'])).toEqual(unknown);
    expect(await pm('rudi', ['channel', 'publish', 'nowhere', 'x'])).toEqual(unknown);
    expect(await pm('rudi', ['channel', 'update', 'nowhere', '--policy', 'open'])).toEqual(unknown);
    expect(await pm('rudi', ['channel', 'delete', 'nowhere'])).toEqual(unknown);
    expect(await pm('rudi', ['channel', 'subscribers', 'nowhere'])).toEqual(unknown);
    expect(await channelKeys('rudi')).toEqual({ member: 0, sender: 0 });

    // The server's own limits come back as they are.
    expect(
      await pm('rita', [
        'channel',
        'create',
        'huge',
        '--policy',
        'open',
        '--max-subscribers',
        '20000',
      ]),
    ).toEqual({
      code: 1,
      stdout: '',
      stderr:
        'error: channel.max_subscribers must be at most 10000, got 20000 (INVALID_ARGUMENT)\n',
    });
  }, 120_000);

  it('manages any channel as an operator, without a key store', async () => {
    await registered('otto');
    expect((await pm('otto', ['channel', 'create', 'ops', '--policy', 'open'])).code).toBe(0);
    const operator = ['--operator-credential-file', join(dataDir, 'operator.credential')];
    const updated = await pm('nobody', [
      'channel',
      'update',
      'ops',
      '--policy',
      'allowlist',
      '--allow',
      'otto',
      ...operator,
    ]);
    expect(updated.code).toBe(0);
    expect(updated.stdout).toMatch(
      channelBlock('updated channel ops', {
        owner: 'otto',
        policy: 'allowlist',
        allowlist: 'otto',
        epoch: 1,
      }),
    );
    expect(await pm('nobody', ['channel', 'subscribers', 'ops', '--json', ...operator])).toEqual({
      code: 0,
      stdout: '{"channelId":"ops","subscribers":[]}\n',
      stderr: '',
    });
    expect(await pm('nobody', ['channel', 'delete', 'ops', ...operator])).toEqual({
      code: 0,
      stdout: 'deleted channel ops; its subscribers get a channel-deleted notice\n',
      stderr: '',
    });
  }, 60_000);

  it('calls the channel service at --channel-address (PM_CHANNEL_ADDRESS) when it has its own', async () => {
    await registered('cara');
    const unreachable = {
      code: 3,
      stdout: '',
      stderr:
        'error: cannot reach 127.0.0.1:1: is the platform running? start it with `npm start` or `proof-messenger start`, or pass --channel-address <host:port>\n',
    };
    expect(
      await pm('cara', ['channel', 'create', 'x', '--policy', 'open'], {
        PM_CHANNEL_ADDRESS: '127.0.0.1:1',
      }),
    ).toEqual(unreachable);
    expect(await pm('cara', ['channel', 'show', 'x', '--channel-address', '127.0.0.1:1'])).toEqual(
      unreachable,
    );
    // The flag wins over the variable.
    expect(
      (
        await pm(
          'cara',
          ['channel', 'create', 'x', '--policy', 'open', '--channel-address', address],
          {
            PM_CHANNEL_ADDRESS: '127.0.0.1:1',
          },
        )
      ).code,
    ).toBe(0);
  }, 60_000);
});
