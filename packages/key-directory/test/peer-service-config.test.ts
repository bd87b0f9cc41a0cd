/** The shared configuration of peer services: defaults, and each refusal with its message. */
import { describe, expect, it } from 'vitest';
import { loadPeerServiceConfig } from '../src/index.ts';

const SECRET = Buffer.alloc(32, 1).toString('base64');

describe('loadPeerServiceConfig', () => {
  it('defaults to the embedded mode on loopback with the given port', () => {
    expect(loadPeerServiceConfig({}, 50052)).toEqual({
      host: '127.0.0.1',
      port: 50052,
      dataDir: './.data',
      natsUrl: undefined,
      natsStreamPrefix: undefined,
      natsSubjectPrefix: undefined,
      databaseUrl: undefined,
      databaseSchema: undefined,
      keyManagementAddress: '127.0.0.1:50051',
      serviceCredential: undefined,
      authTokenSecret: undefined,
      operatorCredentials: undefined,
      replayWindowMs: 300_000,
      partitions: 16,
      keyCacheTtlMs: 2000,
    });
  });

  it('reads the distributed settings', () => {
    const config = loadPeerServiceConfig(
      {
        NATS_URL: 'nats://n:4222',
        DATABASE_URL: 'postgres://d/pm',
        PM_AUTH_TOKEN_SECRET: SECRET,
        PM_SERVICE_CREDENTIAL: 'pmop_x',
        PM_QUEUE_PARTITIONS: '64',
        PM_REPLAY_WINDOW_SECONDS: '60',
      },
      50053,
    );
    expect(config.natsUrl).toBe('nats://n:4222');
    expect(config.authTokenSecret?.length).toBe(32);
    expect([config.partitions, config.replayWindowMs, config.port]).toEqual([64, 60_000, 50053]);
  });

  it.each([
    [
      { NATS_URL: 'nats://n' },
      'distributed mode needs both NATS_URL and DATABASE_URL (or neither for embedded)',
    ],
    [
      { PM_AUTH_TOKEN_SECRET: 'c2hvcnQ=' },
      'PM_AUTH_TOKEN_SECRET must be base64 of at least 32 random bytes',
    ],
    [
      { NATS_URL: 'nats://n', DATABASE_URL: 'postgres://d', PM_AUTH_TOKEN_SECRET: SECRET },
      'distributed mode needs PM_AUTH_TOKEN_SECRET and PM_SERVICE_CREDENTIAL',
    ],
    [{ PM_QUEUE_PARTITIONS: '0' }, 'PM_QUEUE_PARTITIONS'],
  ])('refuses %o', (env, message) => {
    expect(() => loadPeerServiceConfig(env, 1)).toThrow(message);
  });
});
