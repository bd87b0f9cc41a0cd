/**
 * The per-call floor of the service's RPC stack: a SendMessage handler that does nothing, served
 * by the same `createGrpcServer` (grpc-js + protobuf-es) in its own process pinned to one core,
 * called with a 1 KiB-payload-sized envelope, 32 in flight. Prints calls/s and the server's CPU
 * per call (from /proc): what every envelope costs before any verification or storage.
 *
 * Usage: node services/envelope-processor/bench/rpc-floor.ts [--calls 4000] [--core 0]
 */
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { parseArgs } from 'node:util';
import { create } from '@bufbuild/protobuf';
import { EnvelopeProcessorService, EnvelopeSchema } from '@proof-messenger/proto';
import { createGrpcServer, PromiseClient, silentLogger } from '@proof-messenger/rpc';

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: { calls: { type: 'string', default: '4000' }, core: { type: 'string', default: '0' } },
});

if (positionals[0] === 'serve') {
  const server = createGrpcServer({
    services: [
      {
        service: EnvelopeProcessorService,
        implementation: {
          sendMessage: async () => ({
            messageId: 'm',
            partition: 1,
            acceptedAtMs: 1n,
            duplicate: false,
          }),
        } as never,
      },
    ],
    log: silentLogger,
    maxReceiveMessageBytes: 2 * 1024 * 1024,
  });
  console.log(`listening on 127.0.0.1:${await server.listen('127.0.0.1', 0)}`);
} else {
  const child = spawn(
    'taskset',
    ['-c', values.core ?? '0', process.execPath, import.meta.filename, 'serve'],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  );
  const address = await new Promise<string>((resolve) => {
    createInterface({ input: child.stdout ?? process.stdin }).on('line', (line) => {
      const match = /listening on (\S+)/.exec(line);
      if (match?.[1] !== undefined) resolve(match[1]);
    });
  });
  const cpuMs = () => {
    const fields = readFileSync(`/proc/${child.pid}/stat`, 'utf8').split(') ')[1]?.split(' ') ?? [];
    return (Number(fields[11]) + Number(fields[12])) * 10; // USER_HZ = 100
  };
  const client = new PromiseClient(EnvelopeProcessorService, address);
  // Same sizes as the sealed 1 KiB envelopes of bench:ep; the handler never looks at them.
  const envelope = create(EnvelopeSchema, {
    header: new Uint8Array(220).fill(1),
    payload: new Uint8Array(1040).fill(2),
    signature: {
      keyId: 'k'.repeat(40),
      mlDsa65: new Uint8Array(3309).fill(3),
      ed25519: new Uint8Array(64).fill(4),
    },
  });
  const options = { metadata: { authorization: `pmat1.${'x'.repeat(200)}` } };
  for (let i = 0; i < 200; i++) await client.call('sendMessage', { envelope }, options);
  const calls = Number(values.calls);
  let next = 0;
  const cpuBefore = cpuMs();
  const start = performance.now();
  await Promise.all(
    Array.from({ length: 32 }, async () => {
      while (next++ < calls) await client.call('sendMessage', { envelope }, options);
    }),
  );
  const seconds = (performance.now() - start) / 1000;
  const cpuUs = ((cpuMs() - cpuBefore) * 1000) / calls;
  console.log(
    `no-op SendMessage on one core: ${(calls / seconds).toFixed(0)} calls/s, server CPU ${cpuUs.toFixed(0)} µs per call`,
  );
  console.log(
    JSON.stringify({ bench: 'rpc-floor', callsPerSec: calls / seconds, serverCpuUsPerCall: cpuUs }),
  );
  client.close();
  child.kill();
}
