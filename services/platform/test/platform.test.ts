/**
 * The embedded platform in-process: both services answer on one port (health per service), the
 * demo exchange works against it, and its data folder survives a restart — agents stay registered
 * and a message queued for an offline agent before the restart is delivered after it.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as grpc from '@grpc/grpc-js';
import { connectAgent, FileKeyStore } from '@proof-messenger/client-sdk';
import { nativeProvider } from '@proof-messenger/crypto';
import { Code, InvalidArgumentError } from '@proof-messenger/errors';
import { silentLogger } from '@proof-messenger/rpc';
import { service as healthServiceDefinition } from 'grpc-health-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runDemo } from '../src/demo.ts';
import { createPlatform, loadPlatformConfig, type Platform } from '../src/index.ts';

interface HealthClient extends grpc.Client {
  Check(request: { service: string }, callback: grpc.requestCallback<{ status: string }>): void;
}
const HealthClient = grpc.makeGenericClientConstructor(
  healthServiceDefinition,
  'grpc.health.v1.Health',
) as unknown as new (
  address: string,
  credentials: grpc.ChannelCredentials,
) => HealthClient;

function healthOf(address: string, service: string): Promise<string> {
  const client = new HealthClient(address, grpc.credentials.createInsecure());
  return new Promise((resolve, reject) =>
    client.Check({ service }, (error, response) => {
      client.close();
      if (error) reject(error);
      else resolve(response?.status ?? '');
    }),
  );
}

describe('embedded platform', () => {
  let dataDir: string;
  let platform: Platform;
  let address: string;

  async function start(): Promise<void> {
    const config = loadPlatformConfig({
      PM_DATA_DIR: dataDir,
      PM_GRPC_PORT: '0',
      PM_AUDIT_CHECKPOINT_INTERVAL_MS: '500',
    });
    platform = await createPlatform(config, { provider: nativeProvider, log: silentLogger });
    address = `127.0.0.1:${await platform.start()}`;
  }

  beforeAll(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'pm-platform-'));
    await start();
  });

  afterAll(async () => {
    await platform.destroy();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('serves every service, health included, on one port', async () => {
    expect(await healthOf(address, '')).toBe('SERVING');
    expect(await healthOf(address, 'proofmessenger.v1.KeyManagementService')).toBe('SERVING');
    expect(await healthOf(address, 'proofmessenger.v1.EnvelopeProcessorService')).toBe('SERVING');
    expect(await healthOf(address, 'proofmessenger.v1.ChannelService')).toBe('SERVING');
  });

  it('runs the demo exchange: request, reply, verified receipt', async () => {
    const lines: string[] = [];
    const result = await runDemo({ address, dataDir, print: (line) => lines.push(line) });
    expect(result.returning).toBe(false);
    expect(result.receiptVerified).toBe(true);
    expect(result.answer).toBe('Revenue +12%; churn down to 3.1%; two new regions live.');
    expect(lines.some((line) => line.includes(`bob read:   "${result.question}"`))).toBe(true);
    // bob's step finishes while alice's is still timing, so compare as a set.
    expect(new Set(result.timings.keys())).toEqual(
      new Set([
        'alice: new identity key, register, prekeys',
        'bob:   new identity key, register, prekeys',
        'bob: reply + signed receipt',
        'alice → bob: request, bob replies, alice verifies + decrypts',
        'alice: delivery receipt from bob (signed by bob, verified)',
        'audit: the request is in the log, proven in a signed checkpoint',
      ]),
    );
    expect(result.auditSequence).toBeGreaterThanOrEqual(0);
    expect(
      lines.some((line) =>
        line.includes(`entry #${result.auditSequence} message.sent demo-alice → demo-bob`),
      ),
    ).toBe(true);
  });

  it('keeps agents and queued messages across a restart', async () => {
    const key = new Uint8Array(32).fill(7);
    const path = join(dataDir, 'carol.keys');
    const carolStore = await FileKeyStore.create(path, { key, provider: nativeProvider });
    const carol = await connectAgent({
      agentId: 'carol',
      address,
      keyStore: carolStore,
      provider: nativeProvider,
      maintenanceIntervalMs: 0,
    });
    carol.close();
    await carolStore.close();
    const dave = await connectAgent({ agentId: 'dave', address, provider: nativeProvider });
    const sent = await dave.send('carol', 'sent while carol was offline');
    dave.close();

    await platform.destroy();
    await start();

    const reopened = await FileKeyStore.open(path, { key, provider: nativeProvider });
    const carolAgain = await connectAgent({
      agentId: 'carol',
      address,
      keyStore: reopened,
      provider: nativeProvider,
      maintenanceIntervalMs: 0,
    });
    try {
      const signal = AbortSignal.timeout(5000);
      for await (const item of carolAgain.receive({ signal, waitMs: 500 })) {
        expect(item.kind).toBe('message');
        if (item.kind !== 'message') continue;
        expect(item.messageId).toBe(sent.messageId);
        expect(item.senderId).toBe('dave');
        expect(item.text()).toBe('sent while carol was offline');
        await item.ack();
        break;
      }
      expect((await runDemo({ address, dataDir, print: () => {} })).returning).toBe(true);
    } finally {
      carolAgain.close();
      await reopened.close();
    }
  });

  it('serves browsers through the gRPC-web gateway when PM_GRPC_WEB_PORT is set', async () => {
    const webDir = mkdtempSync(join(tmpdir(), 'pm-platform-web-'));
    const web = await createPlatform(
      loadPlatformConfig({ PM_DATA_DIR: webDir, PM_GRPC_PORT: '0', PM_GRPC_WEB_PORT: '0' }),
      { provider: nativeProvider, log: silentLogger },
    );
    try {
      await web.start();
      const url = web.grpcWebUrl ?? '';
      expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
      // Both agents talk only through the gateway (the SDK picks gRPC-web for an http URL).
      const erin = await connectAgent({ agentId: 'erin', address: url, provider: nativeProvider });
      const finn = await connectAgent({ agentId: 'finn', address: url, provider: nativeProvider });
      try {
        await erin.send('finn', 'over grpc-web');
        const signal = AbortSignal.timeout(5000);
        let text = '';
        for await (const item of finn.receive({ signal, waitMs: 500 })) {
          if (item.kind === 'message') text = item.text();
          await item.ack();
          break;
        }
        expect(text).toBe('over grpc-web');
      } finally {
        erin.close();
        finn.close();
      }
    } finally {
      await web.destroy();
      rmSync(webDir, { recursive: true, force: true });
    }
  });

  it('refuses a gateway beyond loopback while registration is open from loopback', () => {
    expect(() =>
      loadPlatformConfig({ PM_GRPC_WEB_PORT: '8080', PM_GRPC_WEB_HOST: '0.0.0.0' }),
    ).toThrow(
      'PM_GRPC_WEB_HOST=0.0.0.0 with open registration would let anyone who reaches the gateway register agents; set PM_OPEN_REGISTRATION=off (and issue enrollment credentials) or keep the gateway on 127.0.0.1',
    );
    expect(
      loadPlatformConfig({
        PM_GRPC_WEB_PORT: '8080',
        PM_GRPC_WEB_HOST: '0.0.0.0',
        PM_OPEN_REGISTRATION: 'off',
        PM_GRPC_WEB_ORIGINS: 'https://a.example, https://b.example',
      }).grpcWeb,
    ).toEqual({
      host: '0.0.0.0',
      port: 8080,
      allowedOrigins: ['https://a.example', 'https://b.example'],
    });
  });

  it('refuses distributed settings with a message that says what to do', () => {
    const attempt = () => loadPlatformConfig({ NATS_URL: 'nats://127.0.0.1:4222' });
    expect(attempt).toThrow(InvalidArgumentError);
    expect(attempt).toThrow(
      'the embedded platform keeps its state in PM_DATA_DIR; unset NATS_URL or run the services as separate processes (distributed mode, see README)',
    );
    const error = (() => {
      try {
        attempt();
      } catch (caught) {
        return caught;
      }
    })();
    expect((error as InvalidArgumentError).code).toBe(Code.INVALID_ARGUMENT);
  });
});
