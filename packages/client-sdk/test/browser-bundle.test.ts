/**
 * The browser entry really is one: esbuild bundles `src/browser.ts` for `platform: 'browser'` with
 * no externals — so any `node:` import or grpc-js anywhere in its graph fails the build (a control
 * build shows that it does) — and the bundle then runs end to end in a `node:vm` context holding
 * only web globals (fetch, crypto, timers, TextEncoder …; no process, Buffer or require): two agents
 * on the noble provider register, send, receive, decrypt and get a verified receipt, through the
 * gRPC-web gateway to the real services (key-management harness and envelope processor, embedded).
 *
 * The Node entry goes through the same gateway too, by giving a gateway URL as `address`.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createContext, runInContext } from 'node:vm';
import { nativeProvider, nobleProvider } from '@proof-messenger/crypto';
import { createGrpcWebProxy, type GrpcWebProxy, silentLogger } from '@proof-messenger/rpc';
import { type BuildOptions, build } from 'esbuild';
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
import type * as BrowserSdk from '../src/browser.ts';
import {
  AgentClient,
  AgentKeys,
  type DeliveryNotice,
  type InboundItem,
  MemoryKeyStore,
  type ReceivedMessage,
} from '../src/index.ts';

const ENTRY = new URL('../src/browser.ts', import.meta.url).pathname;

/** The options every build here shares: what a browser app's bundler would do, nothing external. */
const BROWSER_BUILD = {
  bundle: true,
  platform: 'browser',
  target: 'es2022',
  external: [] as string[],
  write: false,
  metafile: true,
  logLevel: 'silent',
} satisfies BuildOptions;

/**
 * A context with the globals a browser page offers that the SDK may use, and nothing
 * Node-specific. They come from this (outer) realm, except TextEncoder: in a browser it returns
 * the page's own Uint8Array, so the context gets one that does too (the outer one's arrays fail
 * the inner realm's `instanceof Uint8Array`).
 */
function browserLikeContext(): object {
  const context = createContext({
    OuterTextEncoder: TextEncoder,
    fetch,
    Headers,
    Request,
    Response,
    AbortController,
    AbortSignal,
    crypto: globalThis.crypto,
    TextDecoder,
    atob,
    btoa,
    URL,
    setTimeout,
    clearTimeout,
    setInterval,
    clearInterval,
    queueMicrotask,
    console,
  });
  runInContext(
    `const outer = new OuterTextEncoder();
    globalThis.TextEncoder = class TextEncoder {
      get encoding() { return 'utf-8'; }
      encode(text = '') { return new Uint8Array(outer.encode(text)); }
    };
    delete globalThis.OuterTextEncoder;`,
    context,
  );
  return context;
}

interface Agent {
  readonly keys: { close(): void };
  readonly client: {
    send(to: string, content: string, options?: object): Promise<{ messageId: string }>;
    receive(options: { signal: AbortSignal; waitMs: number }): AsyncIterable<InboundItem>;
    close(): void;
  };
}

/** Receives until `count` items arrived, or 3 s passed. */
async function take(agent: Agent, count: number): Promise<InboundItem[]> {
  const items: InboundItem[] = [];
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(), 3000);
  try {
    for await (const item of agent.client.receive({ signal: controller.signal, waitMs: 300 })) {
      items.push(item);
      if (items.length === count) break;
    }
  } finally {
    clearTimeout(timer);
  }
  return items;
}

function asMessage(item: InboundItem | undefined): ReceivedMessage {
  if (item?.kind !== 'message') throw new Error(`expected a message, got ${item?.kind}`);
  return item;
}

function asNotice(item: InboundItem | undefined): DeliveryNotice {
  if (item === undefined || item.kind === 'message') {
    throw new Error(`expected a notice, got ${item?.kind}`);
  }
  return item;
}

const agentIds = new Map<Agent, string>();
function idOf(agent: Agent): string {
  const id = agentIds.get(agent);
  if (id === undefined) throw new Error('unknown agent');
  return id;
}

/** Alice sends Bob one encrypted message; Bob reads and acks it; Alice gets a verified receipt. */
async function exchange(alice: Agent, bob: Agent, text: string): Promise<void> {
  const sent = await alice.client.send(idOf(bob), text, {
    contentType: 'text/plain',
  });
  const message = asMessage((await take(bob, 1))[0]);
  expect(message.messageId).toBe(sent.messageId);
  expect(message.senderId).toBe(idOf(alice));
  expect(message.cleartext).toBe(false);
  expect(message.contentType).toBe('text/plain');
  expect(message.text()).toBe(text);
  await message.ack();
  const notice = asNotice((await take(alice, 1))[0]);
  expect(notice.kind).toBe('delivered');
  expect(notice.messageId).toBe(sent.messageId);
  expect(notice.recipientId).toBe(idOf(bob));
  expect(notice.receiptVerified).toBe(true);
  await notice.ack();
}

describe('browser bundle', () => {
  let outDir: string;
  let esm: string;
  let iife: string;
  let inputs: string[];

  beforeAll(async () => {
    outDir = mkdtempSync(join(tmpdir(), 'pm-browser-'));
    const [esmBuild, iifeBuild] = await Promise.all([
      build({ ...BROWSER_BUILD, entryPoints: [ENTRY], format: 'esm' }),
      build({ ...BROWSER_BUILD, entryPoints: [ENTRY], format: 'iife', globalName: 'PM' }),
    ]);
    expect(esmBuild.errors).toEqual([]);
    expect(iifeBuild.errors).toEqual([]);
    esm = esmBuild.outputFiles?.[0]?.text ?? '';
    iife = iifeBuild.outputFiles?.[0]?.text ?? '';
    writeFileSync(join(outDir, 'sdk.js'), esm);
    inputs = Object.keys(esmBuild.metafile?.inputs ?? {});
  });

  afterAll(() => {
    rmSync(outDir, { recursive: true, force: true });
  });

  it('fails to build when anything imports a node: module (control)', async () => {
    const control = join(outDir, 'control.ts');
    writeFileSync(
      control,
      "import { randomBytes } from 'node:crypto';\nconsole.log(randomBytes(1));\n",
    );
    const failed = await build({ ...BROWSER_BUILD, entryPoints: [control], format: 'esm' }).then(
      () => [],
      (error: { errors: { text: string }[] }) => error.errors.map((e) => e.text),
    );
    expect(failed).toEqual(['Could not resolve "node:crypto"']);
  });

  it('holds no node: import or require and no grpc-js', () => {
    expect(esm.length).toBeGreaterThan(100_000);
    expect(esm).not.toMatch(/(from|import|require)\s*\(?\s*["']node:/);
    expect(esm).not.toContain('@grpc/grpc-js');
    const packages = new Set(
      inputs.map((path) => /.*node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(path)?.[1] ?? 'workspace'),
    );
    expect([...packages].sort()).toEqual([
      '@bufbuild/protobuf',
      '@noble/ciphers',
      '@noble/curves',
      '@noble/hashes',
      '@noble/post-quantum',
      'workspace',
    ]);
    for (const nodeOnly of [
      'crypto/src/native-provider.ts',
      'crypto/src/worker-verify-pool.ts',
      'client-sdk/src/file-key-store.ts',
      'rpc/src/grpc-transport.ts',
      'rpc/src/status-mapper.ts',
    ]) {
      expect(
        inputs.some((path) => path.endsWith(nodeOnly)),
        nodeOnly,
      ).toBe(false);
    }
    expect(readFileSync(join(outDir, 'sdk.js'), 'utf8')).toBe(esm);
  });

  describe('end to end through the gRPC-web gateway', () => {
    let kms: Harness;
    let dataDir: string;
    let ep: EnvelopeProcessorServer;
    let proxy: GrpcWebProxy;
    const agents: Agent[] = [];

    beforeAll(async () => {
      kms = await startHarness('embedded', { PM_OPEN_REGISTRATION: 'loopback' });
      dataDir = mkdtempSync(join(tmpdir(), 'pm-sdk-browser-'));
      ep = await createEnvelopeProcessorServer(
        loadConfig({
          PM_GRPC_PORT: '0',
          PM_DATA_DIR: dataDir,
          ...kms.peerEnv(),
          PM_KEY_CACHE_TTL_MS: '0',
        }),
        // The services verify natively: noble-made signatures and keys are byte-compatible.
        { provider: nativeProvider, log: silentLogger, housekeepingIntervalMs: 0 },
      );
      const epAddress = `127.0.0.1:${await ep.start()}`;
      proxy = await createGrpcWebProxy({
        target: {
          'proofmessenger.v1.KeyManagementService': kms.address,
          'proofmessenger.v1.EnvelopeProcessorService': epAddress,
        },
        allowedOrigins: ['https://app.example'],
      });
    });

    afterAll(async () => {
      for (const agent of agents) {
        agent.client.close();
        agent.keys.close();
      }
      await proxy?.close();
      await ep?.destroy();
      await kms?.close();
      rmSync(dataDir, { recursive: true, force: true });
    });

    it('runs two noble agents from the bundle in a context without Node globals', async () => {
      const context = browserLikeContext();
      const sdk = runInContext(`${iife}\nPM`, context, {
        filename: 'sdk.iife.js',
      }) as typeof BrowserSdk;
      expect(runInContext('[typeof process, typeof Buffer, typeof require]', context)).toEqual([
        'undefined',
        'undefined',
        'undefined',
      ]);
      const transport = new sdk.GrpcWebTransport({
        baseUrl: proxy.url,
        headers: { origin: 'https://app.example' },
      });
      const open = async (agentId: string): Promise<Agent> => {
        const keyStore = new sdk.MemoryKeyStore({ provider: sdk.nobleProvider });
        const keys = await sdk.AgentKeys.open({
          transport,
          agentId,
          keyStore,
          provider: sdk.nobleProvider,
          prekeys: { lowWater: 1, target: 2 },
        });
        await keys.register();
        await keys.ensurePrekeys();
        const client = sdk.AgentClient.create({ keys, transport, provider: sdk.nobleProvider });
        const agent = { keys, client };
        agents.push(agent);
        agentIds.set(agent, agentId);
        return agent;
      };
      const alice = await open('web-alice');
      const bob = await open('web-bob');
      await exchange(alice, bob, 'hello from a browser bundle ✓');
    });

    it('runs the Node entry on noble through the gateway when address is its URL', async () => {
      const open = async (agentId: string): Promise<Agent> => {
        const keyStore = new MemoryKeyStore({ provider: nobleProvider });
        const keys = await AgentKeys.open({
          address: proxy.url,
          agentId,
          keyStore,
          provider: nobleProvider,
          prekeys: { lowWater: 1, target: 2 },
        });
        await keys.register();
        await keys.ensurePrekeys();
        const client = AgentClient.create({ keys, address: proxy.url, provider: nobleProvider });
        const agent = { keys, client };
        agents.push(agent);
        agentIds.set(agent, agentId);
        return agent;
      };
      const carol = await open('url-carol');
      const dave = await open('url-dave');
      await exchange(carol, dave, 'hello over gRPC-web from Node');
    });
  });
});
