/**
 * The PolicyService and AuditService through the real embedded platform: operators publish,
 * validate, list and roll back policies (agents may not), an invalid policy is refused with
 * Cedar's message and changes nothing, and the audit log's answers — checkpoints, entries,
 * inclusion and consistency proofs, queries — verify offline against the audit public key alone.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { verifyAuditLog, verifyConsistency, verifyInclusion } from '@proof-messenger/audit-log';
import { AgentClient, AgentKeys, ChannelClient, MemoryKeyStore } from '@proof-messenger/client-sdk';
import { nativeProvider } from '@proof-messenger/crypto';
import { Code, Reason } from '@proof-messenger/errors';
import { createPlatform, loadPlatformConfig, type Platform } from '@proof-messenger/platform';
import { AuditService, PolicyService } from '@proof-messenger/proto';
import { PromiseClient, silentLogger } from '@proof-messenger/rpc';
import { methodPaths, RawUnaryClient } from '@proof-messenger/rpc/testing';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  fromAuditEntryMessage,
  fromCheckpointMessage,
  fromPublicKeyMessage,
} from '../src/index.ts';

const PERMIT_SEND_ONLY = `
@id("agents-send")
permit (principal is ProofMessenger::Agent, action == ProofMessenger::Action::"SendMessage", resource is ProofMessenger::Agent);

@id("operators-manage-policies")
permit (principal is ProofMessenger::Operator, action in [ProofMessenger::Action::"ManagePolicies", ProofMessenger::Action::"ReadPolicies", ProofMessenger::Action::"ReadAudit"], resource);
`;

interface Failure {
  readonly code: Code;
  readonly reason: number;
  readonly message: string;
}

async function failure(work: Promise<unknown>): Promise<Failure> {
  try {
    await work;
  } catch (error) {
    const { code, reason, message } = error as Failure;
    return { code, reason, message };
  }
  throw new Error('expected the call to fail');
}

describe('governance: policies and the audit log through the platform', () => {
  let dataDir: string;
  let platform: Platform;
  let address: string;
  let policies: PromiseClient<typeof PolicyService>;
  let audit: PromiseClient<typeof AuditService>;
  let operator: { metadata: { authorization: string } };
  interface Agent {
    readonly keys: AgentKeys;
    readonly messages: AgentClient;
    readonly channels: ChannelClient;
  }
  let alice: Agent;
  let bob: Agent;

  async function agent(agentId: string): Promise<Agent> {
    const provider = nativeProvider;
    const keyStore = new MemoryKeyStore({ provider });
    const keys = await AgentKeys.open({ address, agentId, keyStore, provider });
    await keys.register();
    await keys.ensurePrekeys();
    return {
      keys,
      messages: AgentClient.create({ keys, address, provider }),
      channels: ChannelClient.create({ keys, address, provider }),
    };
  }

  function close(a: Agent | undefined): void {
    a?.messages.close();
    a?.channels.close();
    a?.keys.close();
  }
  let asAlice: { metadata: { authorization: string } };

  beforeAll(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'pm-governance-'));
    const config = loadPlatformConfig({
      PM_DATA_DIR: dataDir,
      PM_GRPC_PORT: '0',
      PM_AUDIT_CHECKPOINT_INTERVAL_MS: '3600000',
    });
    platform = await createPlatform(config, { provider: nativeProvider, log: silentLogger });
    address = `127.0.0.1:${await platform.start()}`;
    const credential = readFileSync(join(dataDir, 'operator.credential'), 'utf8').trim();
    operator = { metadata: { authorization: `Operator ${credential}` } };
    policies = new PromiseClient(PolicyService, address);
    audit = new PromiseClient(AuditService, address);
    alice = await agent('alice');
    bob = await agent('bob');
    asAlice = { metadata: { authorization: await alice.keys.client.authorization() } };
  }, 60_000);

  afterAll(async () => {
    close(alice);
    close(bob);
    policies?.close();
    audit?.close();
    await platform?.destroy();
    rmSync(dataDir, { recursive: true, force: true });
  });

  describe('PolicyService', () => {
    it('starts with the shipped default as version 1, published by system', async () => {
      const { version, activatedBy } = await policies.call('getPolicy', {}, operator);
      expect(version?.version).toBe(1n);
      expect(version?.author).toBe('system');
      expect(version?.active).toBe(true);
      expect(version?.text).toContain('@id(');
      expect(activatedBy).toBe('system');
      const { schema } = await policies.call('getPolicySchema', {}, asAlice);
      expect(schema).toContain('namespace ProofMessenger');
    });

    it('refuses an invalid policy with Cedar’s message and keeps the active version', async () => {
      const broken = 'permit (principal, action == ProofMessenger::Action::"Teleport", resource);';
      const checked = await policies.call('validatePolicy', { text: broken }, operator);
      expect(checked.valid).toBe(false);
      expect(checked.errors.join('\n')).toContain('Teleport');
      const refused = await failure(
        policies.call('publishPolicy', { text: broken, comment: 'typo' }, operator),
      );
      expect(refused.code).toBe(Code.INVALID_ARGUMENT);
      expect(refused.message).toContain('the policy is invalid');
      expect(refused.message).toContain('Teleport');
      const { version } = await policies.call('getPolicy', {}, operator);
      expect(version?.version).toBe(1n);
    });

    it('refuses a policy that would lock operators out of policy management', async () => {
      const lockout = `@id("agents-send")
permit (principal is ProofMessenger::Agent, action == ProofMessenger::Action::"SendMessage", resource);`;
      const refused = await failure(policies.call('publishPolicy', { text: lockout }, operator));
      expect(refused.code).toBe(Code.FAILED_PRECONDITION);
      expect((await policies.call('getPolicy', {}, operator)).version?.version).toBe(1n);
    });

    it('lets agents neither publish nor read policies under the default policy', async () => {
      const denied = await failure(
        policies.call('publishPolicy', { text: PERMIT_SEND_ONLY }, asAlice),
      );
      expect(denied.code).toBe(Code.PERMISSION_DENIED);
      expect(denied.reason).toBe(Reason.POLICY_DENIED);
      expect(denied.message).toContain('agent alice may not publish policies');
      expect((await failure(policies.call('getPolicy', {}, asAlice))).code).toBe(
        Code.PERMISSION_DENIED,
      );
      const anonymous = await failure(policies.call('getPolicy', {}));
      expect(anonymous.code).toBe(Code.UNAUTHENTICATED);
    });

    it('publishes a version that takes effect at once, lists versions and rolls back', async () => {
      const { version: published } = await policies.call(
        'publishPolicy',
        { text: PERMIT_SEND_ONLY, comment: 'only sending' },
        operator,
      );
      expect(published?.version).toBe(2n);
      expect(published?.author).toBe('operator:local');
      expect(published?.comment).toBe('only sending');
      // Version 2 permits no channel creation: the next CreateChannel is denied by it.
      const denied = await failure(alice.channels.create({ channelId: 'under-v2', policy: 1 }));
      expect(denied.code).toBe(Code.PERMISSION_DENIED);
      expect(denied.message).toContain('policy version 2');
      // Sending is still permitted.
      await alice.messages.send('bob', 'still allowed under v2');

      const listed = await policies.call('listPolicyVersions', { pageSize: 1 }, operator);
      expect(listed.versions.map((v) => [v.version, v.active, v.text])).toEqual([[2n, true, '']]);
      const next = await policies.call(
        'listPolicyVersions',
        { pageSize: 1, pageToken: listed.nextPageToken },
        operator,
      );
      expect(next.versions.map((v) => [v.version, v.active])).toEqual([[1n, false]]);

      const { version: rolledBack } = await policies.call(
        'activatePolicy',
        { version: 1n, comment: 'roll back' },
        operator,
      );
      expect(rolledBack?.version).toBe(1n);
      const { version: active, activatedBy } = await policies.call('getPolicy', {}, operator);
      expect(active?.version).toBe(1n);
      expect(activatedBy).toBe('operator:local');
      await alice.channels.create({ channelId: 'under-v1', policy: 1 });
    });

    it('answers bad input with specific statuses', async () => {
      const huge = 'x'.repeat(1024 * 1024 + 1);
      const cases: [() => Promise<unknown>, Code, string][] = [
        [
          () => policies.call('validatePolicy', { text: '' }, operator),
          Code.INVALID_ARGUMENT,
          'text is required',
        ],
        [
          () => policies.call('publishPolicy', { text: huge }, operator),
          Code.RESOURCE_EXHAUSTED,
          'at most',
        ],
        [
          () =>
            policies.call(
              'publishPolicy',
              { text: PERMIT_SEND_ONLY, comment: 'c'.repeat(1001) },
              operator,
            ),
          Code.INVALID_ARGUMENT,
          'comment must be at most 1000',
        ],
        [
          () => policies.call('activatePolicy', { version: 0n }, operator),
          Code.INVALID_ARGUMENT,
          'version is required',
        ],
        [
          () => policies.call('activatePolicy', { version: 99n }, operator),
          Code.NOT_FOUND,
          'not stored',
        ],
        [
          () => policies.call('getPolicy', { version: 99n }, operator),
          Code.NOT_FOUND,
          'not stored',
        ],
        [
          () => policies.call('getPolicy', { version: 1n << 60n }, operator),
          Code.INVALID_ARGUMENT,
          'never stored',
        ],
        [
          () => policies.call('listPolicyVersions', { pageSize: 101 }, operator),
          Code.INVALID_ARGUMENT,
          'page_size',
        ],
        [
          () => policies.call('listPolicyVersions', { pageToken: 'garbage!' }, operator),
          Code.INVALID_ARGUMENT,
          'page',
        ],
      ];
      for (const [work, code, text] of cases) {
        const got = await failure(work());
        expect({ code: got.code, has: got.message.includes(text) }, got.message).toEqual({
          code,
          has: true,
        });
      }
    });
  });

  describe('AuditService', () => {
    it('proves entries and consistency that verify offline against the audit key', async () => {
      const sent = await alice.messages.send('bob', 'audited, never in the log');
      await platform.governance.governance.recorder.flush();
      const first = await platform.governance.governance.trail.checkpoint();
      expect(first?.treeSize).toBeGreaterThan(0);

      const { publicKey } = await audit.call('getAuditKey', {}, asAlice);
      const key = fromPublicKeyMessage(publicKey);

      const events = await audit.call(
        'queryAuditEvents',
        { actions: ['message.sent'], agentId: 'alice' },
        operator,
      );
      const entry = events.entries.find((e) => e.messageIds.includes(sent.messageId));
      if (entry === undefined) throw new Error('message.sent entry missing');
      expect(entry.actor).toBe('alice');
      expect(entry?.target).toBe('bob');
      expect(entry?.outcome).toBe('success');

      const proof = await audit.call(
        'getInclusionProof',
        { sequence: entry?.sequence ?? 0n },
        operator,
      );
      const checkpoint = fromCheckpointMessage(proof.checkpoint);
      await verifyInclusion(
        fromAuditEntryMessage(proof.entry ?? entry),
        {
          leafIndex: Number(entry?.sequence),
          treeSize: checkpoint.treeSize,
          hashes: proof.auditPath,
        },
        checkpoint,
        key,
      );

      await bob.messages.send('alice', 'grows the log');
      await platform.governance.governance.recorder.flush();
      const second = await platform.governance.governance.trail.checkpoint();
      const consistency = await audit.call(
        'getConsistencyProof',
        { fromTreeSize: BigInt(first?.treeSize ?? 0) },
        asAlice,
      );
      const older = fromCheckpointMessage(consistency.fromCheckpoint);
      const newer = fromCheckpointMessage(consistency.toCheckpoint);
      expect(newer.treeSize).toBe(second?.treeSize);
      await verifyConsistency(
        older,
        newer,
        { fromSize: older.treeSize, toSize: newer.treeSize, hashes: consistency.consistencyPath },
        key,
      );

      // The whole log, from the API alone.
      const { checkpoints } = await audit.call('listCheckpoints', {}, asAlice);
      const entries = [];
      for (let start = 0n; start < BigInt(newer.treeSize); start += 1000n) {
        const page = await audit.call('getEntries', { start, count: 1000 }, operator);
        entries.push(...page.entries.map(fromAuditEntryMessage));
      }
      const verified = await verifyAuditLog(
        entries.slice(0, newer.treeSize),
        checkpoints.map(fromCheckpointMessage),
        key,
      );
      expect(verified.verifiedSize).toBe(newer.treeSize);
      const encoded = JSON.stringify(entries, (_k, v) => (v instanceof Uint8Array ? '' : v));
      expect(encoded).not.toContain('audited, never in the log');
    });

    it('pages queries newest first and filters by outcome and time', async () => {
      const page1 = await audit.call('queryAuditEvents', { pageSize: 2 }, operator);
      expect(page1.entries).toHaveLength(2);
      const [newest, older] = page1.entries.map((e) => e.sequence);
      expect(newest).toBeGreaterThan(older ?? 0n);
      const page2 = await audit.call(
        'queryAuditEvents',
        { pageSize: 2, pageToken: page1.nextPageToken },
        operator,
      );
      expect(page2.entries[0]?.sequence).toBeLessThan(older ?? 0n);
      const denied = await audit.call('queryAuditEvents', { outcome: 'denied' }, operator);
      expect(denied.entries.length).toBeGreaterThan(0);
      expect(denied.entries.every((e) => e.outcome === 'denied')).toBe(true);
      const future = await audit.call(
        'queryAuditEvents',
        { sinceMs: BigInt(Date.now() + 3_600_000) },
        operator,
      );
      expect(future.entries).toEqual([]);
    });

    it('keeps entries from agents under the default policy and answers bad input', async () => {
      expect((await failure(audit.call('getEntries', { count: 1 }, asAlice))).code).toBe(
        Code.PERMISSION_DENIED,
      );
      const cases: [() => Promise<unknown>, Code, string][] = [
        [
          () => audit.call('getEntries', { count: 0 }, operator),
          Code.INVALID_ARGUMENT,
          'count must be 1-1000',
        ],
        [
          () => audit.call('getEntries', { count: 1001 }, operator),
          Code.INVALID_ARGUMENT,
          'count must be 1-1000',
        ],
        [
          () => audit.call('getCheckpoint', { treeSize: 123_456n }, operator),
          Code.NOT_FOUND,
          'no signed checkpoint has tree size 123456',
        ],
        [
          () => audit.call('getInclusionProof', { sequence: 1n << 62n }, operator),
          Code.INVALID_ARGUMENT,
          'beyond any audit log position',
        ],
        [
          () => audit.call('getInclusionProof', { sequence: 10_000_000n }, operator),
          Code.FAILED_PRECONDITION,
          'not covered',
        ],
        [
          () => audit.call('getConsistencyProof', { fromTreeSize: 0n }, operator),
          Code.INVALID_ARGUMENT,
          'from_tree_size',
        ],
        [
          () => audit.call('queryAuditEvents', { outcome: 'maybe' }, operator),
          Code.INVALID_ARGUMENT,
          'outcome',
        ],
        [
          () => audit.call('queryAuditEvents', { actions: ['DROP TABLE'] }, operator),
          Code.INVALID_ARGUMENT,
          'actions[0]',
        ],
        [
          () => audit.call('queryAuditEvents', { pageSize: 1001 }, operator),
          Code.INVALID_ARGUMENT,
          'page_size',
        ],
        [
          () => audit.call('queryAuditEvents', { pageToken: 'not-a-token' }, operator),
          Code.INVALID_ARGUMENT,
          'pageToken is malformed',
        ],
        [
          () => audit.call('queryAuditEvents', { sinceMs: 5n, untilMs: 1n }, operator),
          Code.INVALID_ARGUMENT,
          'since_ms',
        ],
        [
          () => audit.call('queryAuditEvents', { sinceMs: -1n }, operator),
          Code.INVALID_ARGUMENT,
          'since_ms',
        ],
        [
          () => audit.call('listCheckpoints', { limit: 5000 }, operator),
          Code.INVALID_ARGUMENT,
          'limit',
        ],
      ];
      for (const [work, code, text] of cases) {
        const got = await failure(work());
        expect({ code: got.code, has: got.message.includes(text) }, got.message).toEqual({
          code,
          has: true,
        });
      }
    });
  });

  it('answers random bytes on every PolicyService and AuditService method without INTERNAL, UNKNOWN or a crash', async () => {
    const raw = new RawUnaryClient(address);
    const paths = methodPaths(PolicyService, AuditService);
    const before = (await policies.call('getPolicy', {}, operator)).version?.version;
    const seen = new Set<number>();
    const authorizations = {
      none: undefined,
      agent: asAlice.metadata.authorization,
      operator: operator.metadata.authorization,
    };
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(...paths),
        fc.uint8Array({ maxLength: 256 }),
        fc.constantFrom<'none' | 'agent' | 'operator'>('none', 'agent', 'operator'),
        async (path, body, who) => {
          const code = await raw.code(path, body, authorizations[who]);
          seen.add(code);
          expect([
            Code.INTERNAL,
            Code.UNKNOWN,
            Code.DEADLINE_EXCEEDED,
            Code.UNAVAILABLE,
          ]).not.toContain(code);
        },
      ),
      { numRuns: 300 },
    );
    raw.close();
    expect(seen.has(Code.INVALID_ARGUMENT)).toBe(true);
    expect(seen.has(Code.UNAUTHENTICATED)).toBe(true);
    // Random bytes never published or activated anything.
    expect((await policies.call('getPolicy', {}, operator)).version?.version).toBe(before);
  });
});
