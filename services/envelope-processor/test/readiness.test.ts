/** Readiness follows the dependencies: SERVING while they answer, NOT_SERVING when one does not. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SqliteMessageQueue } from '@proof-messenger/queue';
import { HealthService, silentLogger } from '@proof-messenger/rpc';
import { openSqliteDatabase } from '@proof-messenger/storage';
import { describe, expect, it } from 'vitest';
import { Readiness } from '../src/readiness.ts';

describe('Readiness', () => {
  it('reports NOT_SERVING once the database stops answering', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'pm-ready-'));
    const db = await openSqliteDatabase(join(dir, 'ep.sqlite'));
    const queue = await SqliteMessageQueue.open(db);
    const readiness = new Readiness(new HealthService(), db, queue, silentLogger);
    expect(await readiness.probe()).toBe('SERVING');
    await db.close();
    expect(await readiness.probe()).toBe('NOT_SERVING');
    rmSync(dir, { recursive: true, force: true });
  });
});
