/**
 * The checkpoint worker (see wal-checkpoints.ts): one connection per registered database file,
 * and a PASSIVE checkpoint of each every `intervalMs`. Plain JavaScript so that a worker loads no
 * type stripper (it would cost the isolate memory and start-up time for ~60 lines).
 *
 * Messages in: {type: 'add', id, path}, {type: 'checkpoint', id} (one now), {type: 'remove', id}.
 * Messages out: {type: 'added', id}, {type: 'removed', id}, {type: 'checkpoint-done', id, log,
 * backfilled} (the answer to 'checkpoint'; -1s when another process held the checkpoint lock),
 * {type: 'checkpointed', id, log, backfilled} (a scheduled checkpoint that found new frames: the
 * WAL's frames and how many of them are back in the database file), and {type: 'failed', id,
 * message} (the connection is given up: the owner checkpoints inline again).
 */
import { DatabaseSync } from 'node:sqlite';
import { parentPort, workerData } from 'node:worker_threads';

const intervalMs = workerData?.intervalMs ?? 100;
/** @type {Map<number, {db: DatabaseSync, checkpoint: import('node:sqlite').StatementSync, log: number, backfilled: number}>} */
const databases = new Map();

function fail(id, entry, error) {
  databases.delete(id);
  try {
    entry?.db.close();
  } catch {
    // already unusable; the owner is told below either way
  }
  parentPort.postMessage({ type: 'failed', id, message: String(error?.message ?? error) });
}

parentPort.on('message', (message) => {
  if (message.type === 'add') {
    let db;
    try {
      // timeout 0: a checkpoint never waits for a lock; the next round tries again.
      db = new DatabaseSync(message.path, { timeout: 0 });
      // NORMAL in WAL mode: the WAL is synced before a checkpoint copies it and the database
      // file after, before the writer may reuse the WAL (what makes checkpointing here safe).
      db.exec('PRAGMA synchronous = NORMAL');
      const checkpoint = db.prepare('PRAGMA wal_checkpoint(PASSIVE)');
      databases.set(message.id, { db, checkpoint, log: 0, backfilled: 0 });
      parentPort.postMessage({ type: 'added', id: message.id });
    } catch (error) {
      fail(message.id, db === undefined ? undefined : { db }, error);
    }
  } else if (message.type === 'checkpoint') {
    const entry = databases.get(message.id);
    if (entry !== undefined) checkpoint(message.id, entry, true);
  } else if (message.type === 'remove') {
    const entry = databases.get(message.id);
    databases.delete(message.id);
    try {
      entry?.db.close();
    } catch {
      // closing is best effort: the owner's own close checkpoints what is left
    }
    parentPort.postMessage({ type: 'removed', id: message.id });
  }
});

/**
 * One PASSIVE checkpoint of `id`. Reports it when something changed (an idle database costs its
 * owner no message), or always with `reply` (the owner asked and waits for this answer).
 */
function checkpoint(id, entry, reply) {
  let result;
  try {
    result = entry.checkpoint.get();
  } catch (error) {
    // SQLITE_BUSY / LOCKED: another process checkpoints; the next round tries again.
    if (error?.errcode === 5 || error?.errcode === 6) {
      if (reply) parentPort.postMessage({ type: 'checkpoint-done', id, log: -1, backfilled: -1 });
      return;
    }
    fail(id, entry, error);
    return;
  }
  const { log, checkpointed: backfilled } = result;
  const changed = log !== entry.log || backfilled !== entry.backfilled;
  entry.log = log;
  entry.backfilled = backfilled;
  if (reply) parentPort.postMessage({ type: 'checkpoint-done', id, log, backfilled });
  else if (changed && backfilled > 0) {
    parentPort.postMessage({ type: 'checkpointed', id, log, backfilled });
  }
}

setInterval(() => {
  for (const [id, entry] of databases) checkpoint(id, entry, false);
}, intervalMs);
