/**
 * The demo `npm start` runs against the platform it just started: two agents, alice and bob, talk
 * through the real gRPC services exactly as any agent would — register, request, receive, reply,
 * delivery receipt — and every step is printed with its timing. Then, as the local operator, it
 * finds the request in the audit log and checks, offline against the audit public key, that a
 * signed checkpoint includes it.
 *
 * The agents' keys live in encrypted key store files in `<data folder>/demo/` (unlocked with a
 * random key kept beside them, mode 0600), so a second run finds both agents registered: the
 * platform's data folder survives restarts.
 */
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { verifyInclusion } from '@proof-messenger/audit-log';
import {
  type AgentClient,
  connectAgent,
  type DeliveryNotice,
  FileKeyStore,
  type ReceivedMessage,
} from '@proof-messenger/client-sdk';
import { Code } from '@proof-messenger/errors';
import {
  fromAuditEntryMessage,
  fromCheckpointMessage,
  fromPublicKeyMessage,
} from '@proof-messenger/governance';
import { AuditService, Priority } from '@proof-messenger/proto';
import { PromiseClient } from '@proof-messenger/rpc';

/** What the demo measured, for tests and the start-up benchmark. */
export interface DemoResult {
  readonly question: string;
  readonly answer: string;
  readonly receiptVerified: boolean;
  /** Step label → milliseconds. */
  readonly timings: ReadonlyMap<string, number>;
  /** True when the agents were registered by an earlier run. */
  readonly returning: boolean;
  /** The audit entry of the request, proven included in a signed checkpoint. */
  readonly auditSequence: number;
}

export interface DemoOptions {
  readonly address: string;
  readonly dataDir: string;
  /** Where the step lines go (default console.log). */
  readonly print?: (line: string) => void;
}

const AGENTS = ['demo-alice', 'demo-bob'] as const;

/** The key that unlocks the demo agents' key store files, created on the first run. */
function demoSecret(folder: string): Uint8Array {
  const path = join(folder, 'key-store.key');
  if (!existsSync(path)) writeFileSync(path, randomBytes(32), { mode: 0o600, flag: 'wx' });
  return new Uint8Array(readFileSync(path));
}

async function openKeyStore(path: string, key: Uint8Array): Promise<FileKeyStore> {
  return existsSync(path) ? FileKeyStore.open(path, { key }) : FileKeyStore.create(path, { key });
}

/** Runs the exchange once; throws if any step fails or a check does not hold. */
export async function runDemo(options: DemoOptions): Promise<DemoResult> {
  const print = options.print ?? ((line: string) => console.log(line));
  const folder = join(options.dataDir, 'demo');
  mkdirSync(folder, { recursive: true, mode: 0o700 });
  const secret = demoSecret(folder);
  const timings = new Map<string, number>();
  const step = async <T>(label: string, work: () => Promise<T>): Promise<T> => {
    const start = performance.now();
    const result = await work();
    const ms = performance.now() - start;
    timings.set(label, ms);
    print(`  ${label.padEnd(66)} ${ms.toFixed(1).padStart(8)} ms`);
    return result;
  };

  const [aliceStorePath, bobStorePath] = AGENTS.map((id) => join(folder, `${id}.keys`)) as [
    string,
    string,
  ];
  const returning = existsSync(aliceStorePath) && existsSync(bobStorePath);
  const stores = [
    await openKeyStore(aliceStorePath, secret),
    await openKeyStore(bobStorePath, secret),
  ] as const;
  secret.fill(0);
  const clients: AgentClient[] = [];
  try {
    const verb = returning ? 'open keys, prove registration' : 'new identity key, register';
    const alice = await step(`alice: ${verb}, prekeys`, () =>
      connectAgent({ agentId: AGENTS[0], address: options.address, keyStore: stores[0] }),
    );
    clients.push(alice);
    const bob = await step(`bob:   ${verb}, prekeys`, () =>
      connectAgent({ agentId: AGENTS[1], address: options.address, keyStore: stores[1] }),
    );
    clients.push(bob);

    const question = 'Summarize the Q3 report in three bullet points.';
    const answer = 'Revenue +12%; churn down to 3.1%; two new regions live.';
    const stop = new AbortController();
    // bob answers whatever comes in while alice waits for her reply.
    const bobAnswers = (async (): Promise<ReceivedMessage> => {
      for await (const item of bob.receive({ signal: stop.signal, waitMs: 1000 })) {
        if (item.kind !== 'message') {
          await item.ack();
          continue;
        }
        const start = performance.now();
        await bob.reply(item, answer, { priority: Priority.HIGH });
        await item.ack();
        const ms = performance.now() - start;
        timings.set('bob: reply + signed receipt', ms);
        return item;
      }
      throw new Error('bob stopped receiving before the request arrived');
    })();

    const reply = await step('alice → bob: request, bob replies, alice verifies + decrypts', () =>
      alice.request(AGENTS[1], question, { timeoutMs: 10_000 }),
    );
    const received = await bobAnswers;
    stop.abort();
    const bobMs = timings.get('bob: reply + signed receipt') ?? 0;
    print(`      bob read:   "${received.text()}" (verified, from ${received.senderId})`);
    print(`      bob replied and acknowledged with a signed receipt in ${bobMs.toFixed(1)} ms`);
    print(`      alice read: "${reply.text()}" (verified, from ${reply.senderId})`);
    await reply.ack();

    const notice = await step('alice: delivery receipt from bob (signed by bob, verified)', () =>
      firstNotice(alice),
    );
    await notice.ack();
    if (!notice.receiptVerified) throw new Error('the delivery receipt did not verify');
    if (received.text() !== question || reply.text() !== answer) {
      throw new Error('a message arrived changed');
    }
    const audited = await step(
      'audit: the request is in the log, proven in a signed checkpoint',
      () => proveRequestAudited(options),
    );
    print(
      `      entry #${audited.sequence} ${audited.action} ${audited.actor} → ${audited.target}, in checkpoint of ${audited.treeSize} entries (verified offline)`,
    );
    return {
      question,
      answer,
      receiptVerified: notice.receiptVerified,
      timings,
      returning,
      auditSequence: audited.sequence,
    };
  } finally {
    for (const client of clients) client.close();
    for (const store of stores) await store.close();
  }
}

/**
 * As the local operator: the newest `message.sent` entry from alice to bob, its inclusion proof
 * against a signed checkpoint (waiting for one to cover it) and the offline check of both against
 * the audit public key.
 */
async function proveRequestAudited(options: DemoOptions) {
  const credential = readFileSync(join(options.dataDir, 'operator.credential'), 'utf8').trim();
  const auth = { metadata: { authorization: `Operator ${credential}` } };
  const audit = new PromiseClient(AuditService, options.address);
  try {
    const deadline = Date.now() + 15_000;
    for (;;) {
      const { entries } = await audit.call(
        'queryAuditEvents',
        { actions: ['message.sent'], agentId: AGENTS[0], pageSize: 20 },
        auth,
      );
      const sent = entries.find((e) => e.actor === AGENTS[0] && e.target === AGENTS[1]);
      if (sent !== undefined) {
        try {
          const proof = await audit.call('getInclusionProof', { sequence: sent.sequence }, auth);
          const { publicKey } = await audit.call('getAuditKey', {}, auth);
          const entry = fromAuditEntryMessage(proof.entry ?? sent);
          const checkpoint = fromCheckpointMessage(proof.checkpoint);
          await verifyInclusion(
            entry,
            { leafIndex: entry.sequence, treeSize: checkpoint.treeSize, hashes: proof.auditPath },
            checkpoint,
            fromPublicKeyMessage(publicKey),
          );
          return { ...entry, treeSize: checkpoint.treeSize };
        } catch (error) {
          // No checkpoint covers it yet: they are signed every few seconds.
          const code = (error as { code?: unknown }).code;
          if (code !== Code.FAILED_PRECONDITION && code !== Code.NOT_FOUND) throw error;
        }
      }
      if (Date.now() > deadline)
        throw new Error('the request did not reach a signed checkpoint in 15 s');
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
  } finally {
    audit.close();
  }
}

/** The next delivery notice for `client` (messages meanwhile are acknowledged and ignored). */
async function firstNotice(client: AgentClient): Promise<DeliveryNotice> {
  const stop = AbortSignal.timeout(10_000);
  for await (const item of client.receive({ signal: stop, waitMs: 1000 })) {
    if (item.kind === 'delivered') return item;
    await item.ack();
  }
  throw new Error('no delivery receipt arrived within 10 s');
}
