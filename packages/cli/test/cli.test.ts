/**
 * The CLI as users run it: a child process per command against real services started here
 * (key-management through its harness with registration closed, the envelope processor on its own
 * port, both embedded in temp folders). Exact exit codes and messages for each command's happy
 * path and its failures: no key store, wrong secret, unknown agent, unreachable server, bad
 * arguments.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { KeyManagementClient } from '@proof-messenger/client-sdk';
import { nativeProvider } from '@proof-messenger/crypto';
import { partitionOf } from '@proof-messenger/queue';
import { silentLogger } from '@proof-messenger/rpc';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../../services/envelope-processor/src/config.ts';
import {
  createEnvelopeProcessorServer,
  type EnvelopeProcessorServer,
} from '../../../services/envelope-processor/src/envelope-processor-server.ts';
import {
  type Harness,
  startHarness,
} from '../../../services/key-management/test/service-harness.ts';
import { newKeyStoreKey, runCli, spawnCli, waitForOutput } from './cli-harness.ts';

const ISO = '\\d{4}-\\d{2}-\\d{2}T\\d{2}:\\d{2}:\\d{2}\\.\\d{3}Z';
const UUID = '[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[0-9a-f]{4}-[0-9a-f]{12}';

// Every step is a CLI process (~1-2 s to start on a busy 2-core machine): a larger budget per test.
describe('proof-messenger CLI', { timeout: 90_000 }, () => {
  let kms: Harness;
  let ep: EnvelopeProcessorServer;
  let epAddress: string;
  let dir: string;
  let epDataDir: string;
  let operator: KeyManagementClient;
  const key = newKeyStoreKey();

  beforeAll(async () => {
    kms = await startHarness('embedded');
    epDataDir = mkdtempSync(join(tmpdir(), 'pm-cli-ep-'));
    ep = await createEnvelopeProcessorServer(
      loadConfig({
        PM_GRPC_PORT: '0',
        PM_DATA_DIR: epDataDir,
        ...kms.peerEnv(),
        PM_KEY_CACHE_TTL_MS: '0',
      }),
      { provider: nativeProvider, log: silentLogger, housekeepingIntervalMs: 0 },
    );
    epAddress = `127.0.0.1:${await ep.start()}`;
    dir = mkdtempSync(join(tmpdir(), 'pm-cli-'));
    operator = new KeyManagementClient(kms.address, nativeProvider, {
      operatorCredential: kms.operatorCredential,
    });
  });

  afterAll(async () => {
    operator.close();
    await ep.destroy();
    await kms.close();
    rmSync(dir, { recursive: true, force: true });
    rmSync(epDataDir, { recursive: true, force: true });
  });

  /** The environment of an agent whose key store is `<dir>/<name>.keys`. */
  function envOf(name: string, extra: Record<string, string> = {}): Record<string, string> {
    return {
      HOME: dir,
      PM_ADDRESS: kms.address,
      PM_ENVELOPE_PROCESSOR_ADDRESS: epAddress,
      PM_KEY_STORE: join(dir, `${name}.keys`),
      PM_KEY_STORE_KEY: key,
      ...extra,
    };
  }

  function pm(name: string, args: readonly string[], extra: Record<string, string> = {}) {
    return runCli(args, envOf(name, extra));
  }

  async function credentialFor(agentId: string): Promise<string> {
    const { credential } = await operator.call('issueEnrollmentCredential', {
      agentId,
      ttlSeconds: 600,
    });
    return credential;
  }

  /** Creates and registers an agent; returns its identity key id. */
  async function registered(name: string): Promise<string> {
    const created = await pm(name, ['agent', 'create', name, '--json']);
    expect(created.code).toBe(0);
    const { identityKeyId } = JSON.parse(created.stdout) as { identityKeyId: string };
    const credential = await credentialFor(name);
    const result = await pm(name, ['agent', 'register', '--enrollment-credential', credential]);
    expect(result).toEqual({
      code: 0,
      stdout: `registered ${name} (identity key ${identityKeyId}); 50 one-time prekeys on the server\n`,
      stderr: '',
    });
    return identityKeyId;
  }

  it('shows help, and refuses unknown commands and options with exit 2', async () => {
    const help = await runCli(['--help'], {});
    expect(help.code).toBe(0);
    expect(help.stdout).toMatch(/^proof-messenger: post-quantum/);
    expect(help.stdout).toContain('  agent create          create an agent');
    const none = await runCli([], {});
    expect(none.code).toBe(2);
    expect(none.stderr).toBe(help.stdout);
    expect(await runCli(['bogus'], {})).toEqual({
      code: 2,
      stdout: '',
      stderr: 'error: unknown command "bogus" (run `proof-messenger --help`)\n',
    });
    // `npm run pm -- …` passes the separator through.
    expect(await runCli(['--', '--help'], {})).toEqual(help);
    expect(await runCli(['agent', 'frobnicate'], {})).toEqual({
      code: 2,
      stdout: '',
      stderr:
        'error: unknown command "agent frobnicate"; agent has: create, register, show, export-public (run `proof-messenger --help`)\n',
    });
    const sendHelp = await runCli(['send', '--help'], {});
    expect(sendHelp.code).toBe(0);
    expect(sendHelp.stdout).toMatch(
      /^Usage: proof-messenger send <recipient> \[<text>\|-\] \[options\]\n/,
    );
    expect(sendHelp.stdout).toContain('--key-store <file>');
    expect((await runCli(['help', 'verify'], {})).stdout).toMatch(
      /^Usage: proof-messenger verify <envelope-file\|-> \[options\]\n/,
    );
    expect(await runCli(['agent', 'show', '--bogus'], {})).toEqual({
      code: 2,
      stdout: '',
      stderr: `error: Unknown option '--bogus'. To specify a positional argument starting with a '-', place it at the end of the command after '--', as in '-- "--bogus"\n(run \`proof-messenger agent show --help\` for usage)\n`,
    });
    expect(await runCli(['agent', 'create'], {})).toEqual({
      code: 2,
      stdout: '',
      stderr:
        'error: agent create takes <agent-id>, got none\n(run `proof-messenger agent create --help` for usage)\n',
    });
  });

  it('creates an agent key store, and explains a missing store, secret or id, and a wrong key', async () => {
    const path = join(dir, 'ann.keys');
    const created = await pm('ann', ['agent', 'create', 'ann']);
    expect(created.code).toBe(0);
    expect(created.stdout).toMatch(
      new RegExp(
        `^created agent ann\\n  key store:    ${path}\\n  identity key: [A-Za-z0-9_-]{22}\\nnext: proof-messenger agent register\\n$`,
      ),
    );
    expect(await pm('ann', ['agent', 'create', 'ann'])).toEqual({
      code: 1,
      stdout: '',
      stderr: `error: a key store already exists at ${path} (agent ann): use it, or pass --key-store <file> for another agent\n`,
    });
    expect(await pm('ann', ['agent', 'create', 'Ann!'])).toEqual({
      code: 2,
      stdout: '',
      stderr: `error: agent-id must be 1-128 characters of a-z, 0-9, '.', '_', ':' or '-' starting with a letter or digit, got "Ann!"\n(run \`proof-messenger agent create --help\` for usage)\n`,
    });
    const missing = join(dir, 'nobody.keys');
    expect(await pm('nobody', ['agent', 'show'])).toEqual({
      code: 4,
      stdout: '',
      stderr: `error: no key store at ${missing}: run \`proof-messenger agent create <agent-id>\` first (or pass --key-store <file>)\n`,
    });
    expect(await pm('ann', ['agent', 'show', '--offline'], { PM_KEY_STORE_KEY: '' })).toEqual({
      code: 2,
      stdout: '',
      stderr:
        'error: the key store needs a secret: set PM_KEY_STORE_PASSPHRASE (or PM_KEY_STORE_KEY, 32 bytes in base64), or pass --passphrase-file <file>\n(run `proof-messenger agent show --help` for usage)\n',
    });
    expect(
      await pm('ann', ['agent', 'show', '--offline'], { PM_KEY_STORE_KEY: newKeyStoreKey() }),
    ).toEqual({
      code: 1,
      stdout: '',
      stderr: `error: cannot unlock the key store ${path}: wrong passphrase or key, or the file was modified\n`,
    });
    expect(
      await pm('ann', ['agent', 'show', '--offline'], { PM_KEY_STORE_KEY: 'c2hvcnQ=' }),
    ).toEqual({
      code: 2,
      stdout: '',
      stderr:
        'error: PM_KEY_STORE_KEY must be 32 bytes in base64, got 5 bytes\n(run `proof-messenger agent show --help` for usage)\n',
    });
  });

  it('protects a key store with a passphrase from a file and tells which secret it needs', async () => {
    const passphraseFile = join(dir, 'pat.passphrase');
    writeFileSync(passphraseFile, 'correct horse battery staple\n', { mode: 0o600 });
    const noKey = { PM_KEY_STORE_KEY: '' };
    const created = await pm(
      'pat',
      ['agent', 'create', 'pat', '--passphrase-file', passphraseFile, '--json'],
      noKey,
    );
    expect(created.code).toBe(0);
    const { identityKeyId } = JSON.parse(created.stdout) as { identityKeyId: string };
    const shown = await pm(
      'pat',
      ['agent', 'show', '--offline', '--json', '--passphrase-file', passphraseFile],
      noKey,
    );
    expect(shown.code).toBe(0);
    expect(JSON.parse(shown.stdout)).toEqual({
      agentId: 'pat',
      keyStore: join(dir, 'pat.keys'),
      identityKeyId,
      keys: {
        identity: 1,
        'signed-prekey': 0,
        'one-time-prekey': 0,
        session: 0,
        'channel-member': 0,
        'channel-sender': 0,
      },
    });
    expect(await pm('pat', ['agent', 'show', '--offline'])).toEqual({
      code: 2,
      stdout: '',
      stderr: `error: the key store ${join(dir, 'pat.keys')} is protected by a passphrase: set PM_KEY_STORE_PASSPHRASE or pass --passphrase-file\n(run \`proof-messenger agent show --help\` for usage)\n`,
    });
  });

  it('registers with an enrollment credential, idempotently, and shows the registration', async () => {
    await pm('bea', ['agent', 'create', 'bea']);
    expect(await pm('bea', ['agent', 'show'])).toMatchObject({ code: 0 });
    expect((await pm('bea', ['agent', 'show'])).stdout).toContain(
      '  registered:       no (run `proof-messenger agent register`)\n',
    );
    expect(await pm('bea', ['agent', 'register'])).toEqual({
      code: 1,
      stdout: '',
      stderr:
        'error: enrollment_credential is required: ask an operator to issue one (IssueEnrollmentCredential) (UNAUTHENTICATED)\n',
    });
    expect(await pm('bea', ['receive'])).toEqual({
      code: 4,
      stdout: '',
      stderr: 'error: agent bea is not registered: run `proof-messenger agent register` first\n',
    });
    const credential = await credentialFor('bea');
    const first = await pm('bea', ['agent', 'register'], { PM_ENROLLMENT_CREDENTIAL: credential });
    expect(first.code).toBe(0);
    const keyId = /identity key ([A-Za-z0-9_-]{22})/.exec(first.stdout)?.[1] ?? '';
    expect(first.stdout).toBe(
      `registered bea (identity key ${keyId}); 50 one-time prekeys on the server\n`,
    );
    expect(await pm('bea', ['agent', 'register'])).toEqual({
      code: 0,
      stdout: `already registered bea (identity key ${keyId}); 50 one-time prekeys on the server\n`,
      stderr: '',
    });
    const shown = await pm('bea', ['agent', 'show']);
    expect(shown.code).toBe(0);
    expect(shown.stdout).toMatch(
      new RegExp(
        `^agent bea\\n  key store:        ${join(dir, 'bea.keys')}\\n  identity key:     ${keyId}\\n  prekeys:          1 signed, 50 one-time\\n  session keys:     0\\n  channel keys:     0 member, 0 sender\\n  registered:       ${ISO}\\n  server key:       ${keyId}\\n  one-time prekeys: 50 left on the server\\n$`,
      ),
    );
    // Another key store claiming the same id.
    await pm('bea2', ['agent', 'create', 'bea']);
    const impostor = await pm('bea2', ['agent', 'register']);
    expect(impostor.code).toBe(1);
    expect(impostor.stderr).toMatch(
      /^error: agent bea is already registered with another identity key \(this key store holds [A-Za-z0-9_-]{22}\): use the key store that registered it, or create an agent with another id\n$/,
    );
  });

  it('sends encrypted and signed cleartext, receives by priority with acks, and notices come back', async () => {
    await registered('cal');
    await registered('dee');
    const plain = await pm('cal', ['send', 'dee', 'hello dee']);
    expect(plain.code).toBe(0);
    expect(plain.stdout).toMatch(new RegExp(`^sent ${UUID} to dee\\n$`));
    const proof = join(dir, 'approval.envelope');
    const urgent = await pm('cal', [
      'send',
      'dee',
      '--cleartext',
      '--priority',
      'high',
      '--save-envelope',
      proof,
      '--json',
      'I approve PO-7',
    ]);
    expect(urgent.code).toBe(0);
    const sent = JSON.parse(urgent.stdout) as { messageId: string };
    expect(sent).toEqual({
      messageId: expect.stringMatching(new RegExp(`^${UUID}$`)),
      recipientId: 'dee',
      partition: partitionOf('dee', 16),
      duplicate: false,
    });
    const fromStdin = await runCli(
      ['send', 'dee', '-', '--content-type', 'application/octet-stream'],
      envOf('cal'),
      new Uint8Array([0xff, 0x00, 0x01]),
    );
    expect(fromStdin.code).toBe(0);

    const received = await pm('dee', ['receive', '--json']);
    expect(received.code).toBe(0);
    expect(received.stderr).toBe('');
    const items = received.stdout
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(
      items.map((item) => [item.priority, item.text ?? item.contentBase64, item.cleartext]),
    ).toEqual([
      ['high', 'I approve PO-7', true],
      ['normal', 'hello dee', false],
      ['normal', '/wAB', false],
    ]);
    expect(items[0]).toEqual({
      kind: 'message',
      messageId: sent.messageId,
      senderId: 'cal',
      channelId: '',
      correlationId: '',
      replyTo: sent.messageId,
      priority: 'high',
      contentType: 'text/plain',
      cleartext: true,
      createdAtMs: expect.any(Number),
      deliveryCount: 1,
      text: 'I approve PO-7',
      contentBase64: Buffer.from('I approve PO-7').toString('base64'),
    });
    expect(await pm('dee', ['receive'])).toEqual({
      code: 0,
      stdout: '',
      stderr: 'no messages for dee\n',
    });

    const notices = await pm('cal', ['receive']);
    expect(notices.code).toBe(0);
    const lines = notices.stdout.trim().split('\n');
    expect(lines).toHaveLength(3);
    expect(lines[0]).toMatch(
      new RegExp(
        `^notice delivered · message ${sent.messageId} · recipient dee · receipt verified · at ${ISO}$`,
      ),
    );

    // Text output of a message.
    await pm('cal', ['send', 'dee', 'second']);
    const text = await pm('dee', ['receive']);
    expect(text.stdout).toMatch(
      new RegExp(
        `^from cal · id (${UUID}) · priority normal · encrypted · sent ${ISO}\\nreply-to: \\1\\nsecond\\n$`,
      ),
    );
    expect(readFileSync(proof).length).toBeGreaterThan(3000);
  }, 120_000);

  it('refuses bad send arguments, unknown recipients and unreachable servers with their exit codes', async () => {
    await registered('eve');
    const usage = (message: string) => ({
      code: 2,
      stdout: '',
      stderr: `error: ${message}\n(run \`proof-messenger send --help\` for usage)\n`,
    });
    expect(await pm('eve', ['send', 'cal', 'x', '--priority', 'urgent'])).toEqual(
      usage('--priority must be one of low, normal, high, critical, got "urgent"'),
    );
    expect(await pm('eve', ['send', 'cal', 'x', '--ttl', '0'])).toEqual(
      usage('--ttl must be a whole number from 1 to 2592000, got "0"'),
    );
    expect(await pm('eve', ['send', 'cal'])).toEqual(
      usage('no content: give it as text, as - (stdin), or with --file <path>'),
    );
    expect(await pm('eve', ['send', 'cal', 'x', '--file', join(dir, 'x')])).toEqual(
      usage('give the content once: as text, as - (stdin), or with --file'),
    );
    expect(await pm('eve', ['send', 'No Body', 'x'])).toEqual(
      usage(
        `recipient must be 1-128 characters of a-z, 0-9, '.', '_', ':' or '-' starting with a letter or digit, got "No Body"`,
      ),
    );
    expect(await pm('eve', ['send', 'nobody', 'x'])).toEqual({
      code: 4,
      stdout: '',
      stderr: 'error: recipient nobody is not registered: check the agent id\n',
    });
    expect(
      await pm('eve', ['send', 'cal', 'x'], {
        PM_ADDRESS: '127.0.0.1:1',
        PM_ENVELOPE_PROCESSOR_ADDRESS: '',
      }),
    ).toEqual({
      code: 3,
      stdout: '',
      stderr:
        'error: cannot reach 127.0.0.1:1: is the platform running? start it with `npm start` or `proof-messenger start`, or pass --address <host:port>\n',
    });
    expect(
      await pm('eve', [
        'receive',
        '--address',
        '127.0.0.1:1',
        '--envelope-processor',
        '127.0.0.1:1',
      ]),
    ).toEqual({
      code: 3,
      stdout: '',
      stderr:
        'error: cannot reach 127.0.0.1:1: is the platform running? start it with `npm start` or `proof-messenger start`, or pass --address <host:port>\n',
    });
  }, 60_000);

  it('answers a request with reply, and times out a request nobody answers with exit 5', async () => {
    await registered('fay');
    await registered('gus');
    const requester = spawnCli(
      ['request', 'gus', 'quote for 40 units?', '--timeout', '30'],
      envOf('fay'),
    );
    requester.stdin?.end();
    let request: { replyTo: string; text: string } | undefined;
    const deadline = Date.now() + 20_000;
    while (request === undefined && Date.now() < deadline) {
      const got = await pm('gus', ['receive', '--json', '--wait', '2000']);
      expect(got.code).toBe(0);
      if (got.stdout !== '') request = JSON.parse(got.stdout) as { replyTo: string; text: string };
    }
    expect(request?.text).toBe('quote for 40 units?');
    const answered = await pm('gus', ['reply', 'fay', request?.replyTo ?? '', '1,200 EUR']);
    expect(answered.code).toBe(0);
    expect(answered.stdout).toMatch(new RegExp(`^sent reply ${UUID} to fay\\n$`));
    const result = await requester.done;
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(
      new RegExp(
        `^from gus · id ${UUID} · priority normal · encrypted · sent ${ISO}\\nreply-to: ${request?.replyTo}\\n1,200 EUR\\n$`,
      ),
    );

    const unanswered = await pm('fay', ['request', 'gus', 'anyone?', '--timeout', '1']);
    expect(unanswered.code).toBe(5);
    expect(unanswered.stderr).toMatch(
      new RegExp(`^error: no reply from gus to request ${UUID} within 1000 ms\\n$`),
    );
    expect(await pm('fay', ['reply', 'gus', '', 'x'])).toEqual({
      code: 2,
      stdout: '',
      stderr:
        'error: <reply-to> must be 1-128 characters: the reply-to id receive printed\n(run `proof-messenger reply --help` for usage)\n',
    });
  }, 90_000);

  it('follows the queue until Ctrl-C, holding the key store meanwhile', async () => {
    await registered('hal');
    await registered('ida');
    const follower = spawnCli(['receive', '--follow'], envOf('ida'));
    follower.stdin?.end();
    await new Promise((resolve) => setTimeout(resolve, 1500));
    expect((await pm('hal', ['send', 'ida', 'one'])).code).toBe(0);
    expect((await pm('hal', ['send', 'ida', 'two'])).code).toBe(0);
    await waitForOutput(follower, /\ntwo\n/);
    const locked = await pm('ida', ['send', 'hal', 'x']);
    expect(locked.code).toBe(1);
    expect(locked.stderr).toMatch(
      new RegExp(
        `^error: key store ${join(dir, 'ida.keys')} is in use by process \\d+ \\(lock file .*\\); .* \\(is another proof-messenger command, such as receive --follow, running with this key store\\?\\)\\n$`,
      ),
    );
    follower.kill('SIGINT');
    const result = await follower.done;
    expect(result.code).toBe(0);
    expect(result.stdout.match(/^(one|two)$/gm)).toEqual(['one', 'two']);
    expect((await pm('ida', ['send', 'hal', 'free again'])).code).toBe(0);
  }, 60_000);

  it('verifies proofs offline from exported key histories, binary or base64, and finds tampering', async () => {
    const joKey = await registered('jo');
    await registered('kim');
    const proof = join(dir, 'jo.envelope');
    expect(
      (await pm('jo', ['send', 'kim', '--cleartext', '--save-envelope', proof, 'ship 40 units']))
        .code,
    ).toBe(0);
    const keysFile = join(dir, 'jo.keys.json');
    expect(await pm('kim', ['agent', 'export-public', '--agent', 'jo', '--out', keysFile])).toEqual(
      {
        code: 0,
        stdout: '',
        stderr: `wrote 1 identity key(s) of jo to ${keysFile}\n`,
      },
    );
    const kimKeys = join(dir, 'kim.keys.json');
    const exported = await pm('kim', ['agent', 'export-public']);
    writeFileSync(kimKeys, exported.stdout);
    expect(JSON.parse(exported.stdout)).toMatchObject({
      format: 'proof-messenger/public-key-history/v1',
      agentId: 'kim',
      keys: [{ status: 'current', notAfterMs: null, revocationReason: '' }],
    });

    // No server: every address points at a closed port.
    const offline = { PM_ADDRESS: '127.0.0.1:1', PM_ENVELOPE_PROCESSOR_ADDRESS: '127.0.0.1:1' };
    const valid = await pm(
      'kim',
      ['verify', proof, '--keys', kimKeys, '--keys', keysFile],
      offline,
    );
    expect(valid.code).toBe(0);
    expect(valid.stderr).toBe('');
    expect(valid.stdout).toMatch(
      new RegExp(
        `^valid: signed by jo\\n  key:        ${joKey} \\(current\\)\\n  signed at:  ${ISO}\\n  message:    ${UUID} to kim, priority normal\\n  content:    signed cleartext, 13 bytes, text/plain\\n  digest:     [0-9a-f]{64}\\nsigned content:\\nship 40 units\\n$`,
      ),
    );
    const base64File = join(dir, 'jo.envelope.b64');
    writeFileSync(base64File, `${readFileSync(proof).toString('base64')}\n`);
    const fromBase64 = await pm(
      'kim',
      ['verify', base64File, '--keys', keysFile, '--json'],
      offline,
    );
    expect(fromBase64.code).toBe(0);
    expect(JSON.parse(fromBase64.stdout)).toMatchObject({
      valid: true,
      failureReason: '',
      signerId: 'jo',
      keyId: joKey,
      to: 'kim',
      contentMode: 'signed-cleartext',
      keyStatus: 'current',
      signedContent: { text: 'ship 40 units' },
    });
    const viaStdin = await runCli(
      ['verify', '-', '--keys', keysFile],
      envOf('kim', offline),
      readFileSync(proof),
    );
    expect(viaStdin.code).toBe(0);

    const bytes = readFileSync(proof);
    const at = bytes.indexOf(Buffer.from('ship 40 units'));
    bytes[at + 5] = '9'.charCodeAt(0);
    const tampered = join(dir, 'tampered.envelope');
    writeFileSync(tampered, bytes);
    const invalid = await pm('kim', ['verify', tampered, '--keys', keysFile], offline);
    expect(invalid.code).toBe(1);
    expect(invalid.stdout).toMatch(
      new RegExp(
        `^invalid: SIGNATURE_INVALID: envelope signature does not verify for sender jo with key ${joKey}\\n  claimed signer: jo\\n  key:        ${joKey} \\(current\\)\\n`,
      ),
    );
    const wrongKeys = await pm('kim', ['verify', proof, '--keys', kimKeys, '--json'], offline);
    expect(wrongKeys.code).toBe(1);
    expect(JSON.parse(wrongKeys.stdout)).toMatchObject({
      valid: false,
      failureReason: 'KEY_UNKNOWN',
      failureMessage:
        'signed by jo, but no key file given is for jo (given: kim); export it with `proof-messenger agent export-public --agent jo`',
    });
    expect(
      await pm('kim', ['verify', join(dir, 'none.envelope'), '--keys', keysFile], offline),
    ).toEqual({
      code: 4,
      stdout: '',
      stderr: `error: cannot read the envelope file ${join(dir, 'none.envelope')}\n`,
    });
    const garbage = join(dir, 'garbage.envelope');
    writeFileSync(garbage, new Uint8Array([0xff, 0xff, 0xff, 0x01]));
    expect(await pm('kim', ['verify', garbage, '--keys', keysFile], offline)).toEqual({
      code: 1,
      stdout: '',
      stderr: `error: ${garbage} is not an envelope (a proofmessenger.v1.Envelope, binary or base64)\n`,
    });
    const forgedKeys = join(dir, 'forged.keys.json');
    const history = JSON.parse(readFileSync(keysFile, 'utf8')) as { keys: { keyId: string }[] };
    history.keys[0] = { ...history.keys[0], keyId: 'AAAAAAAAAAAAAAAAAAAAAA' };
    writeFileSync(forgedKeys, JSON.stringify(history));
    expect(await pm('kim', ['verify', proof, '--keys', forgedKeys], offline)).toEqual({
      code: 2,
      stdout: '',
      stderr: `error: ${forgedKeys} is not a public key history (keys[0].keyId AAAAAAAAAAAAAAAAAAAAAA is not the id of its keys (${joKey})); write one with \`proof-messenger agent export-public\`\n(run \`proof-messenger verify --help\` for usage)\n`,
    });
    expect(await pm('kim', ['verify', proof], offline)).toEqual({
      code: 2,
      stdout: '',
      stderr:
        "error: verify needs --keys <file>: the signer's public key history, written by `proof-messenger agent export-public`\n(run `proof-messenger verify --help` for usage)\n",
    });
  }, 90_000);

  it('verifies an encrypted envelope saved on receipt', async () => {
    await registered('lou');
    await registered('max');
    expect((await pm('lou', ['send', 'max', 'secret terms'])).code).toBe(0);
    const proofs = join(dir, 'max-proofs');
    const got = await pm('max', ['receive', '--json', '--save-envelopes', proofs]);
    const { messageId } = JSON.parse(got.stdout) as { messageId: string };
    const keysFile = join(dir, 'lou.keys.json');
    await pm('max', ['agent', 'export-public', '--agent', 'lou', '--out', keysFile]);
    const result = await pm('max', [
      'verify',
      join(proofs, `${messageId}.envelope`),
      '--keys',
      keysFile,
    ]);
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(
      /^valid: signed by lou\n(.*\n){3} {2}content: {4}encrypted, \d+ bytes \(only the recipient can read it\)\n {2}digest: {5}[0-9a-f]{64}\n$/,
    );
    expect(result.stdout).not.toContain('secret terms');
  }, 60_000);

  it('shows queue state to the agent and to an operator, and refuses others', async () => {
    await registered('ned');
    await registered('ola');
    await pm('ned', ['send', 'ola', 'a', '--priority', 'critical']);
    await pm('ned', ['send', 'ola', 'b', '--priority', 'low']);
    const partition = partitionOf('ola', 16);
    expect(await pm('ola', ['queue', 'status'])).toEqual({
      code: 0,
      stdout: `queue of ola (partition ${partition})\n  ready:         2 (critical 1, high 0, normal 0, low 1)\n  in flight:     0\n  dead-lettered: 0\n`,
      stderr: '',
    });
    expect(await pm('ned', ['queue', 'ola'])).toEqual({
      code: 1,
      stdout: '',
      stderr:
        'error: ned may not read the queue of ola: only agent ola itself or an operator may (PERMISSION_DENIED)\n',
    });
    const asOperator = {
      PM_OPERATOR_CREDENTIAL: kms.operatorCredential,
      PM_KEY_STORE: join(dir, 'absent.keys'),
    };
    expect(await pm('ned', ['queue', 'ola', '--json'], asOperator)).toEqual({
      code: 0,
      stdout: `${JSON.stringify({ agentId: 'ola', partition, ready: { critical: 1, high: 0, normal: 0, low: 1 }, inFlight: 0, deadLettered: 0 })}\n`,
      stderr: '',
    });
    expect(await pm('ned', ['queue', 'status', 'zed'], asOperator)).toEqual({
      code: 4,
      stdout: '',
      stderr: 'error: agent zed is not registered and has nothing queued (NOT_FOUND)\n',
    });
    expect(await pm('ned', ['queue', 'status'], asOperator)).toEqual({
      code: 2,
      stdout: '',
      stderr:
        'error: as an operator, name the agent: queue status <agent-id>\n(run `proof-messenger queue status --help` for usage)\n',
    });
  }, 60_000);
});
