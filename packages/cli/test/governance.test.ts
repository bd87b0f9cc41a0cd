/**
 * The `policy` and `audit` commands as operators run them: a child process per command against
 * the embedded platform (governance on its one port, started here on port 0 with a temp data
 * folder and checkpoints every 200 ms). Policies are validated, published, listed, shown and
 * rolled back; an agent is refused. The audit log is pinned, proven and verified offline; then
 * tampered with on disk (caught by `audit verify`, naming the check), and replaced by a second
 * log signed with the same audit key (caught only through `--state`).
 */
import {
  copyFileSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { nativeProvider } from '@proof-messenger/crypto';
import { createPlatform, loadPlatformConfig, type Platform } from '@proof-messenger/platform';
import { silentLogger } from '@proof-messenger/rpc';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type CliResult, newKeyStoreKey, runCli } from './cli-harness.ts';

const ISO = '\\d{4}-\\d{2}-\\d{2}T\\d{2}:\\d{2}:\\d{2}\\.\\d{3}Z';
const HEX = '[0-9a-f]{64}';
const BROKEN = 'permit (principal, action == ProofMessenger::Action::"Teleport", resource);\n';

async function startPlatform(dataDir: string): Promise<{ platform: Platform; address: string }> {
  const platform = await createPlatform(
    loadPlatformConfig({
      PM_DATA_DIR: dataDir,
      PM_GRPC_PORT: '0',
      PM_KEY_CACHE_TTL_MS: '0',
      PM_AUDIT_CHECKPOINT_INTERVAL_MS: '200',
    }),
    { provider: nativeProvider, log: silentLogger },
  );
  return { platform, address: `127.0.0.1:${await platform.start()}` };
}

/** Writes every pending audit event and signs a checkpoint over them; resolves to its size. */
async function checkpointNow(platform: Platform): Promise<number> {
  await platform.governance.governance.recorder.flush();
  const checkpoint = await platform.governance.governance.trail.checkpoint();
  return checkpoint?.treeSize ?? 0;
}

// Every step is a CLI process (~1-2 s to start on a busy 2-core machine): a larger budget per test.
describe('proof-messenger policy and audit', { timeout: 90_000 }, () => {
  let dir: string;
  let dataDir: string;
  let platform: Platform;
  let address: string;
  const others: Platform[] = [];

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'pm-cli-governance-'));
    dataDir = join(dir, 'data');
    ({ platform, address } = await startPlatform(dataDir));
  });

  afterAll(async () => {
    await platform?.destroy();
    for (const other of others) await other.destroy();
    rmSync(dir, { recursive: true, force: true });
  });

  const file = (name: string) => join(dir, name);

  /** The CLI as the embedded platform's operator (or `extra` overriding it). */
  function pm(args: readonly string[], extra: Record<string, string> = {}): Promise<CliResult> {
    return runCli(args, {
      HOME: dir,
      PM_ADDRESS: address,
      PM_OPERATOR_CREDENTIAL: readFileSync(join(dataDir, 'operator.credential'), 'utf8').trim(),
      ...extra,
    });
  }

  it('lists the commands and refuses bad arguments with exit 2 before calling anyone', async () => {
    const [help, prove, since, outcome, activate] = await Promise.all([
      runCli(['--help'], {}),
      runCli(['audit', 'prove', 'x'], {}),
      runCli(['audit', 'query', '--since', 'yesterday'], {}),
      runCli(['audit', 'query', '--outcome', 'maybe'], {}),
      runCli(['policy', 'activate', '0'], {}),
    ]);
    expect(help.stdout).toContain(
      '  policy publish        publish a Cedar policy file as the new active version\n',
    );
    expect(help.stdout).toContain(
      '  audit verify          download and verify the whole audit log offline against --key (--state: across runs)\n',
    );
    const usage = (command: string, message: string) => ({
      code: 2,
      stdout: '',
      stderr: `error: ${message}\n(run \`proof-messenger ${command} --help\` for usage)\n`,
    });
    expect(prove).toEqual(
      usage(
        'audit prove',
        '<sequence> must be an entry\'s sequence number (from `audit query`), got "x"',
      ),
    );
    expect(since).toEqual(
      usage(
        'audit query',
        '--since must be an ISO 8601 time (2026-05-01T12:00:00Z) or milliseconds since the epoch, got "yesterday"',
      ),
    );
    expect(outcome).toEqual(
      usage('audit query', '--outcome must be one of success, denied, failure, got "maybe"'),
    );
    expect(activate).toEqual(
      usage('policy activate', '<version> must be a version number from `policy list`, got "0"'),
    );
  });

  it('validates, publishes, lists, shows and rolls back policies', async () => {
    const shipped = await pm(['policy', 'show', '--text']);
    expect(shipped.code).toBe(0);
    expect(shipped.stdout).toContain('@id(');
    writeFileSync(file('v2.cedar'), `${shipped.stdout}// v2: the same rules, one comment more\n`);
    writeFileSync(file('broken.cedar'), BROKEN);

    const [valid, invalid] = await Promise.all([
      pm(['policy', 'validate', file('v2.cedar')]),
      pm(['policy', 'validate', file('broken.cedar')]),
    ]);
    expect(valid.code).toBe(0);
    expect(valid.stdout).toMatch(/^valid: \d+ policies\n$/);
    expect(invalid.code).toBe(1);
    expect(invalid.stdout).toMatch(
      /^invalid: 1 problem\n {2}.*unrecognized action `ProofMessenger::Action::"Teleport"`/,
    );

    const refused = await pm(['policy', 'publish', file('broken.cedar')]);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(
      /^error: the policy is invalid.*Teleport.*\(INVALID_ARGUMENT\)/s,
    );

    const published = await pm(['policy', 'publish', file('v2.cedar'), '--comment', 'one more']);
    expect(published).toMatchObject({ code: 0, stderr: '' });
    expect(published.stdout).toMatch(
      new RegExp(
        `^published policy version 2, now active\n {2}version: {3}2 \\(active\\)\n {2}author: {4}operator:local\n {2}published: ${ISO}\n {2}comment: {3}one more\n {2}sha256: {4}[0-9a-f]{64}\n$`,
      ),
    );

    const listed = await pm(['policy', 'list']);
    expect(listed.code).toBe(0);
    expect(listed.stdout.split('\n').map((line) => line.replace(new RegExp(ISO), 'T'))).toEqual([
      '  VERSION  PUBLISHED                 AUTHOR          COMMENT',
      '* 2        T  operator:local  one more',
      '  1        T  system          shipped default policy',
      '',
    ]);

    const rolledBack = await pm(['policy', 'activate', '1', '--comment', 'roll back']);
    expect(rolledBack.code).toBe(0);
    expect(rolledBack.stdout).toMatch(
      /^policy version 1 is now active\n {2}version: {3}1 \(active\)/,
    );

    const [active, v2, json] = await Promise.all([
      pm(['policy', 'show']),
      pm(['policy', 'show', '--version', '2', '--text']),
      pm(['policy', 'list', '--json', '--limit', '1']),
    ]);
    expect(active.stdout).toMatch(
      new RegExp(
        `^policy version 1\n {2}version: {3}1 \\(active\\)\n(.*\n){4}  the active version was last set by operator:local at ${ISO}\n$`,
      ),
    );
    expect(v2.stdout).toBe(readFileSync(file('v2.cedar'), 'utf8'));
    expect(JSON.parse(json.stdout)).toMatchObject({
      version: 2,
      active: false,
      comment: 'one more',
    });
  });

  it('refuses an agent the policies and the audit entries, but gives it the audit key', async () => {
    const agent = {
      PM_OPERATOR_CREDENTIAL: '',
      PM_KEY_STORE: file('eve.keys'),
      PM_KEY_STORE_KEY: newKeyStoreKey(),
    };
    expect((await pm(['agent', 'create', 'eve'], agent)).code).toBe(0);
    expect((await pm(['agent', 'register'], agent)).code).toBe(0);
    // One at a time: a key store is locked by the process using it.
    const list = await pm(['policy', 'list'], agent);
    const query = await pm(['audit', 'query'], agent);
    const key = await pm(['audit', 'key'], agent);
    expect(list.code).toBe(1);
    expect(list.stderr).toMatch(/^error: agent eve may not read policies.*\(PERMISSION_DENIED\)\n/);
    expect(query.code).toBe(1);
    expect(query.stderr).toMatch(
      /^error: agent eve may not read the audit log.*\(PERMISSION_DENIED\)\n/,
    );
    expect(key.code).toBe(0);
    expect(JSON.parse(key.stdout)).toMatchObject({ format: 'proof-messenger/audit-public-key/v1' });
  });

  it('pins the key, proves an entry and consistency, queries, and verifies the log across runs', async () => {
    const pinned = await pm(['audit', 'key', '--out', file('audit.pub.json')]);
    expect(pinned.code).toBe(0);
    const { keyId } = JSON.parse(readFileSync(file('audit.pub.json'), 'utf8')) as { keyId: string };
    expect(pinned.stdout).toBe(
      `saved the audit public key ${keyId} to ${file('audit.pub.json')}; check this key id with your operator before you rely on it\n`,
    );
    const first = await checkpointNow(platform);
    expect(first).toBeGreaterThanOrEqual(3);
    const key = ['--key', file('audit.pub.json')];

    const [prove, unpinned, query, checkpoint] = await Promise.all([
      pm(['audit', 'prove', '0', ...key]),
      pm(['audit', 'prove', '1']),
      pm(['audit', 'query', '--action', 'policy.', '--limit', '2']),
      pm(['audit', 'checkpoint', '--size', String(first), ...key, '--json']),
    ]);
    expect(prove.code).toBe(0);
    expect(prove.stdout).toMatch(
      new RegExp(
        `^entry 0\n {2}time: {5}${ISO}\n {2}actor: {4}system\n {2}action: {3}policy\\.published\n {2}target: {3}policy:1\n[^]*verified: entry 0 is in the checkpoint of size \\d+, root ${HEX}, signed ${ISO}, under audit key ${keyId}\n$`,
      ),
    );
    expect(unpinned.code).toBe(0);
    expect(unpinned.stderr).toBe(
      `warning: no --key given: verifying against the key the server sent now (${keyId}), so this trusts the server; pin the key once with \`proof-messenger audit key --out audit-key.pub.json\` and pass --key\n`,
    );
    expect(query.code).toBe(0);
    const lines = query.stdout.split('\n');
    expect(lines[0]).toMatch(/^SEQ +TIME +ACTION +ACTOR +TARGET +OUTCOME +REASON$/);
    expect(lines.slice(1, 3).every((line) => / policy\.[a-z_]+ /.test(line))).toBe(true);
    const token = lines[3]?.match(/^next page: --page-token (\S+)$/)?.[1];
    expect(token, query.stdout).toBeDefined();
    const page2 = await pm([
      'audit',
      'query',
      '--action',
      'policy.',
      '--page-token',
      token ?? '',
      '--json',
    ]);
    expect(page2.code).toBe(0);
    const older = page2.stdout
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line));
    expect(older.at(-1)).toMatchObject({
      sequence: 0,
      actor: 'system',
      action: 'policy.published',
    });
    expect(JSON.parse(checkpoint.stdout)).toMatchObject({
      treeSize: first,
      keyId,
      signatureValid: true,
    });

    const state = ['--state', file('verify.state.json')];
    const firstRun = await pm(['audit', 'verify', ...key, ...state]);
    expect(firstRun.code, firstRun.stderr).toBe(0);
    expect(firstRun.stdout).toMatch(
      new RegExp(
        `^verified: ${first} entries under \\d+ checkpoints, signed by audit key ${keyId}\n {2}latest checkpoint: size ${first}, root ${HEX}, signed ${ISO}\n {2}saved to ${file('verify.state.json')} for the next run\n$`,
      ),
    );

    // The log grows; the next run proves the new checkpoint extends the saved one.
    expect((await pm(['policy', 'activate', '2', '--comment', 'forward again'])).code).toBe(0);
    const second = await checkpointNow(platform);
    expect(second).toBeGreaterThan(first);
    const [consistency, secondRun] = await Promise.all([
      pm(['audit', 'consistency', String(first), String(second), ...key]),
      pm(['audit', 'verify', ...key, ...state]),
    ]);
    expect(consistency.code).toBe(0);
    expect(consistency.stdout).toMatch(
      new RegExp(
        `^consistent: the checkpoint of size ${second}, root ${HEX}, signed ${ISO}\n {2}extends the checkpoint of size ${first}, root ${HEX}, signed ${ISO}\n {2}both signed by audit key ${keyId}\n$`,
      ),
    );
    expect(secondRun.code).toBe(0);
    expect(secondRun.stdout).toMatch(
      new RegExp(
        `\n {2}extends the checkpoint verified at ${ISO} \\(size ${first}, root ${HEX}, signed ${ISO}\\)\n`,
      ),
    );
    const saved = JSON.parse(readFileSync(file('verify.state.json'), 'utf8'));
    expect(saved).toMatchObject({
      format: 'proof-messenger/audit-verify-state/v1',
      checkpoint: { treeSize: second, keyId },
    });
  });

  it('creates a signing key file once, and a log checked against another key fails', async () => {
    const created = await runCli(
      ['audit', 'create-key', file('other-key.json'), '--public-out', file('other.pub.json')],
      {},
    );
    expect(created.code).toBe(0);
    expect(created.stdout).toMatch(
      new RegExp(
        `^created audit key \\S+ in ${file('other-key.json')} \\(mode 0600\\); set PM_AUDIT_KEY_FILE=${file('other-key.json')} on every governance instance; its public key is in ${file('other.pub.json')}\n$`,
      ),
    );
    expect(statSync(file('other-key.json')).mode & 0o777).toBe(0o600);
    const again = await runCli(['audit', 'create-key', file('other-key.json')], {});
    expect(again).toEqual({
      code: 1,
      stdout: '',
      stderr: `error: ${file('other-key.json')} already exists: an audit key is never overwritten (verifiers pinned its public key); choose another file\n`,
    });
    const wrongKey = await pm(['audit', 'verify', '--key', file('other.pub.json')]);
    expect(wrongKey.code).toBe(1);
    expect(wrongKey.stdout).toMatch(
      /^FAILED \(check checkpoint-signature, checkpoint #0\): checkpoint 0 \(size \d+\) names key \S+, not the audit key \S+\n$/,
    );
  });

  it('catches, through --state, a different history signed with the same audit key', async () => {
    // A second platform with a copy of the first one's audit key: its log is signed and
    // consistent in itself, so only the saved checkpoint tells it apart.
    const forkDir = join(dir, 'fork');
    mkdirSync(forkDir, { recursive: true, mode: 0o700 });
    copyFileSync(join(dataDir, 'audit-key.json'), join(forkDir, 'audit-key.json'));
    const fork = await startPlatform(forkDir);
    others.push(fork.platform);
    const saved = JSON.parse(readFileSync(file('verify.state.json'), 'utf8'));
    const target = saved.checkpoint.treeSize as number;
    const trail = fork.platform.governance.governance.trail;
    const filler = Array.from({ length: target }, (_, i) => ({
      timeMs: Date.now(),
      actor: 'operator:local',
      action: 'policy.published',
      target: `policy:${i + 2}`,
      outcome: 'success' as const,
      reason: 'rewritten history',
      details: {},
      messageIds: [],
      messageHashes: [],
    }));
    await trail.append(filler);
    expect(await checkpointNow(fork.platform)).toBeGreaterThan(target);
    const env = {
      PM_ADDRESS: fork.address,
      PM_OPERATOR_CREDENTIAL: readFileSync(join(forkDir, 'operator.credential'), 'utf8').trim(),
    };
    const key = ['--key', file('audit.pub.json')];
    const alone = await pm(['audit', 'verify', ...key], env);
    expect(alone.code, alone.stdout).toBe(0);
    const withState = await pm(
      ['audit', 'verify', ...key, '--state', file('verify.state.json')],
      env,
    );
    expect(withState.code).toBe(1);
    expect(withState.stdout).toMatch(
      new RegExp(
        `^FAILED \\(check consistency\\): the log does not extend the checkpoint of size ${target}, root ${HEX}, signed ${ISO} verified at ${ISO}: entries it covered were rewritten\n$`,
      ),
    );
    // The state keeps the checkpoint that was verified.
    expect(JSON.parse(readFileSync(file('verify.state.json'), 'utf8'))).toEqual(saved);
  });

  it('names the failed check when an entry was edited on disk', async () => {
    const size = await checkpointNow(platform);
    expect(size).toBeGreaterThanOrEqual(3);
    await platform.destroy();
    const db = new DatabaseSync(join(dataDir, 'audit.sqlite'));
    try {
      const changed = db
        .prepare("UPDATE audit_log_entries SET reason = 'nothing to see' WHERE sequence = 1")
        .run();
      expect(changed.changes).toBe(1);
    } finally {
      db.close();
    }
    ({ platform, address } = await startPlatform(dataDir));
    const verified = await pm(['audit', 'verify', '--key', file('audit.pub.json')]);
    expect(verified).toEqual({
      code: 1,
      stdout:
        'FAILED (check chain, entry 2): entry 2: previous hash does not match the hash of entry 1\n',
      stderr: '',
    });
    const json = await pm(['audit', 'verify', '--key', file('audit.pub.json'), '--json']);
    expect(JSON.parse(json.stdout)).toMatchObject({
      verified: false,
      check: 'chain',
      entryIndex: 2,
    });
  });
});
