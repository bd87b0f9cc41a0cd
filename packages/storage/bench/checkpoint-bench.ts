/**
 * What WAL checkpoints cost the event loop. Writes --rows rows of 4.7 KB (an envelope's size) with
 * an indexed column through the embedded database's group commit, --concurrency writes in flight,
 * twice per round: with the checkpoints in the checkpoint worker (the default), and with SQLite
 * checkpointing inline inside the COMMITs (what happens when the worker cannot take a database;
 * the comparison baseline). Reports rows/s, the event loop's delay (perf_hooks
 * monitorEventLoopDelay) and the write latency, p50 / p99 / max, then one JSON line.
 *
 * Usage: npx --yes pnpm@10.34.9 run bench:storage [--rows 30000] [--concurrency 64] [--rounds 2]
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { CheckpointWorker } from '../src/internal/wal-checkpoints.ts';
import { openSqliteDatabaseWith, walCheckpointNow } from '../src/sqlite-database.ts';

const { values } = parseArgs({
  options: {
    rows: { type: 'string', default: '30000' },
    concurrency: { type: 'string', default: '64' },
    rounds: { type: 'string', default: '2' },
  },
});
const rows = Number(values.rows);
const concurrency = Number(values.concurrency);
const rounds = Number(values.rounds);
const BODY = new Uint8Array(4700).fill(3);

/** A worker script that takes no database: SQLite keeps checkpointing inline. */
const REFUSING = new URL('../test/fixtures/refusing-checkpoint-worker.js', import.meta.url);

interface Result {
  mode: 'worker' | 'inline';
  rowsPerSec: number;
  loopDelayMs: { p50: number; p99: number; max: number };
  writeMs: { p50: number; p99: number; max: number };
}

const round2 = (value: number) => Number(value.toFixed(2));

async function measure(mode: 'worker' | 'inline'): Promise<Result> {
  const dir = mkdtempSync(join(tmpdir(), 'pm-bench-checkpoints-'));
  const worker =
    mode === 'worker' ? new CheckpointWorker(undefined, 0) : new CheckpointWorker(REFUSING, 0);
  const db = await openSqliteDatabaseWith(join(dir, 'bench.db'), {}, undefined, worker);
  await walCheckpointNow(db); // the hand-over is settled before the clock starts
  await db.executeScript(
    'CREATE TABLE t (id INTEGER PRIMARY KEY, sender TEXT NOT NULL, body BLOB NOT NULL); CREATE INDEX t_sender ON t (sender);',
  );
  const delay = monitorEventLoopDelay({ resolution: 1 });
  const latencies: number[] = [];
  let next = 0;
  delay.enable();
  const start = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < rows) {
        const id = next++;
        const sentAt = performance.now();
        await db.execute('INSERT INTO t (id, sender, body) VALUES ($1, $2, $3)', [
          id,
          `agent-${id % 97}`,
          BODY,
        ]);
        latencies.push(performance.now() - sentAt);
      }
    }),
  );
  const seconds = (performance.now() - start) / 1000;
  delay.disable();
  await db.close();
  rmSync(dir, { recursive: true, force: true });
  latencies.sort((a, b) => a - b);
  const at = (q: number) =>
    round2(latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))] ?? 0);
  return {
    mode,
    rowsPerSec: Math.round(rows / seconds),
    loopDelayMs: {
      p50: round2(delay.percentile(50) / 1e6),
      p99: round2(delay.percentile(99) / 1e6),
      max: round2(delay.max / 1e6),
    },
    writeMs: { p50: at(0.5), p99: at(0.99), max: at(1) },
  };
}

// The refusing worker's database warns that it checkpoints inline: expected here, so Node's own
// printer (a 'warning' listener) is replaced by one that skips that warning only.
process.removeAllListeners('warning');
process.on('warning', (warning) => {
  if ((warning as { code?: string }).code !== 'PM_SQLITE_CHECKPOINTS_INLINE') console.warn(warning);
});
console.log(
  `WAL checkpoints: ${rows} writes of 4.7 KB, ${concurrency} in flight, group commit, node ${process.version}`,
);
const results: Result[] = [];
for (let round = 0; round < rounds; round++) {
  for (const mode of ['worker', 'inline'] as const) {
    const result = await measure(mode);
    results.push(result);
    console.log(
      `  ${mode.padEnd(6)} ${String(result.rowsPerSec).padStart(7)} rows/s  event-loop delay p50 / p99 / max ${result.loopDelayMs.p50} / ${result.loopDelayMs.p99} / ${result.loopDelayMs.max} ms  write p50 / p99 / max ${result.writeMs.p50} / ${result.writeMs.p99} / ${result.writeMs.max} ms`,
    );
  }
}
console.log(JSON.stringify({ bench: 'storage-checkpoints', rows, concurrency, results }));
