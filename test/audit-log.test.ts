/**
 * The audit log end to end, against real processes in both deployments. Agents register, send,
 * receive and acknowledge; every process appends to the one log (in the distributed mode the
 * key-management and envelope-processor processes append concurrently to PostgreSQL while the
 * governance process signs checkpoints). An operator then downloads the whole log through the
 * AuditService and checks it offline against the audit public key alone: the chain is unbroken,
 * every checkpoint's root matches, inclusion proofs of the messages' entries and a consistency
 * proof between two checkpoints hold — and no entry carries a message's plaintext.
 */
import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  type AuditEntry,
  verifyAuditLog,
  verifyConsistency,
  verifyInclusion,
} from '@proof-messenger/audit-log';
import { AgentClient, AgentKeys, MemoryKeyStore } from '@proof-messenger/client-sdk';
import { nativeProvider } from '@proof-messenger/crypto';
import {
  fromAuditEntryMessage,
  fromCheckpointMessage,
  fromPublicKeyMessage,
} from '@proof-messenger/governance';
import { AuditService } from '@proof-messenger/proto';
import { requireNats } from '@proof-messenger/queue/testing';
import { PromiseClient } from '@proof-messenger/rpc';
import { requireServices } from '@proof-messenger/storage/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type Deployment,
  type DeploymentMode,
  startDistributed,
  startEmbedded,
} from './support/deployment.ts';

const backends = await requireServices(['postgres', 'redis']);
const nats = await requireNats();
const distributedSkip = !backends.available ? backends.reason : !nats.available ? nats.reason : '';
if (distributedSkip !== '') console.warn(`skipping distributed audit log: ${distributedSkip}`);

const MODES: readonly { mode: DeploymentMode; skip: string }[] = [
  { mode: 'embedded', skip: '' },
  { mode: 'distributed', skip: distributedSkip },
];

const SECRET = 'the quarterly numbers nobody may read in the log';

describe.each(MODES)('audit log end to end ($mode)', ({ mode, skip }) => {
  let deployment: Deployment;
  let audit: PromiseClient<typeof AuditService>;
  const closers: (() => void)[] = [];

  beforeAll(async () => {
    if (skip !== '') return;
    deployment = mode === 'embedded' ? await startEmbedded() : await startDistributed();
    audit = new PromiseClient(AuditService, deployment.governanceAddress);
  }, 60_000);

  afterAll(async () => {
    for (const close of closers) close();
    audit?.close();
    await deployment?.close();
  }, 60_000);

  async function agent(name: string) {
    const id = `${name}-${randomUUID().slice(0, 8)}`;
    const provider = nativeProvider;
    const keys = await AgentKeys.open({
      address: deployment.keyManagementAddress,
      agentId: id,
      keyStore: new MemoryKeyStore({ provider }),
      provider,
    });
    await keys.register(await deployment.enrollmentFor(id));
    await keys.ensurePrekeys();
    const client = AgentClient.create({
      keys,
      address: deployment.envelopeProcessorAddress,
      provider,
    });
    closers.push(
      () => client.close(),
      () => keys.close(),
    );
    return { id, keys, client };
  }

  const asOperator = () => ({ metadata: { authorization: deployment.operatorAuthorization } });

  /** The latest signed checkpoint once it covers at least `size` entries. */
  async function checkpointCovering(size: number) {
    const deadline = Date.now() + 20_000;
    for (;;) {
      const latest = await audit
        .call('getCheckpoint', {}, asOperator())
        .catch(() => ({ checkpoint: undefined }));
      const checkpoint = latest.checkpoint && fromCheckpointMessage(latest.checkpoint);
      if (checkpoint !== undefined && checkpoint.treeSize >= size) return checkpoint;
      if (Date.now() > deadline) throw new Error(`no checkpoint covers ${size} entries in 20 s`);
      await sleep(200);
    }
  }

  async function entriesFor(messageId: string, action: string): Promise<AuditEntry[]> {
    const deadline = Date.now() + 20_000;
    for (;;) {
      const page = await audit.call('queryAuditEvents', { actions: [action] }, asOperator());
      const found = page.entries
        .filter((e) => e.messageIds.includes(messageId))
        .map(fromAuditEntryMessage);
      if (found.length > 0) return found;
      if (Date.now() > deadline) throw new Error(`no ${action} entry for ${messageId} in 20 s`);
      await sleep(200);
    }
  }

  it.skipIf(skip !== '')(
    'records the exchange and verifies the whole log offline',
    async () => {
      const alice = await agent('alice');
      const bob = await agent('bob');
      const sent = await Promise.all(
        Array.from({ length: 10 }, (_, i) => alice.client.send(bob.id, `${SECRET} #${i}`)),
      );
      let received = 0;
      for await (const item of bob.client.receive({ signal: AbortSignal.timeout(20_000) })) {
        if (item.kind === 'message') {
          await item.ack();
          received++;
        }
        if (received === sent.length) break;
      }
      expect(received).toBe(sent.length);

      const first = sent[0]?.messageId ?? '';
      const [sentEntry] = await entriesFor(first, 'message.sent');
      expect(sentEntry).toMatchObject({ actor: alice.id, target: bob.id, outcome: 'success' });
      const [acked] = await entriesFor(first, 'message.acknowledged');
      expect(acked?.actor).toBe(bob.id);
      const registered = await audit.call(
        'queryAuditEvents',
        { actions: ['identity.registered'], agentId: alice.id },
        asOperator(),
      );
      expect(registered.entries.map((e) => e.target)).toEqual([alice.id]);

      const early = await checkpointCovering((acked?.sequence ?? 0) + 1);
      const { publicKey } = await audit.call('getAuditKey', {}, asOperator());
      const key = fromPublicKeyMessage(publicKey);

      const proof = await audit.call(
        'getInclusionProof',
        { sequence: BigInt(sentEntry?.sequence ?? 0), treeSize: BigInt(early.treeSize) },
        asOperator(),
      );
      await verifyInclusion(
        proof.entry === undefined ? (sentEntry as AuditEntry) : fromAuditEntryMessage(proof.entry),
        {
          leafIndex: sentEntry?.sequence ?? 0,
          treeSize: early.treeSize,
          hashes: proof.auditPath,
        },
        early,
        key,
      );

      // More traffic, a later checkpoint, and a consistency proof between the two.
      await bob.client.send(alice.id, 'later');
      const later = await checkpointCovering(early.treeSize + 1);
      const consistency = await audit.call(
        'getConsistencyProof',
        { fromTreeSize: BigInt(early.treeSize), toTreeSize: BigInt(later.treeSize) },
        asOperator(),
      );
      await verifyConsistency(
        early,
        later,
        { fromSize: early.treeSize, toSize: later.treeSize, hashes: consistency.consistencyPath },
        key,
      );

      // The whole log, downloaded and checked against nothing but the audit key.
      const checkpoints = [];
      for (let after = 0n; ; ) {
        const page = await audit.call('listCheckpoints', { afterTreeSize: after }, asOperator());
        if (page.checkpoints.length === 0) break;
        checkpoints.push(...page.checkpoints.map(fromCheckpointMessage));
        after = BigInt(checkpoints.at(-1)?.treeSize ?? 0);
      }
      const last = checkpoints.at(-1)?.treeSize ?? 0;
      const entries: AuditEntry[] = [];
      while (entries.length < last) {
        const page = await audit.call(
          'getEntries',
          { start: BigInt(entries.length), count: Math.min(1000, last - entries.length) },
          asOperator(),
        );
        entries.push(...page.entries.map(fromAuditEntryMessage));
      }
      const verified = await verifyAuditLog(entries, checkpoints, key);
      expect(verified.verifiedSize).toBe(last);
      expect(verified.entryCount).toBe(last);
      const actors = new Set(entries.map((e) => e.actor));
      expect(actors.has(alice.id) && actors.has(bob.id)).toBe(true);
      const text = JSON.stringify(entries, (_k, v) =>
        v instanceof Uint8Array ? Buffer.from(v).toString('base64') : v,
      );
      expect(text).not.toContain(SECRET);
      expect(text).not.toContain(Buffer.from(SECRET).toString('base64').slice(0, 20));
    },
    90_000,
  );
});
