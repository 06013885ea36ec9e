/** App processes registering on a real libSQL file: the rows a restore reads to tell whether the database is served. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { fileUrl, migrate, openDatabase } from '../../src/server/db.ts';
import { liveInstances, STALE_AFTER_MS, startInstance } from '../../src/server/instances.ts';
import { holdWriteLock } from '../helpers/db-lock.ts';
import { tempDatabase } from '../helpers/temp-db.ts';

let t: Awaited<ReturnType<typeof tempDatabase>>;
beforeEach(async () => {
  t = await tempDatabase();
});
afterEach(() => t.close());

const seenAt = async (id: string) => Number((await t.db.execute({ sql: 'SELECT seen_at FROM app_instances WHERE id = ?', args: [id] })).rows[0]?.seen_at);

describe('app instances', () => {
  it('registers this process, renews its row, and removes it when stopped', async () => {
    let clock = 1_000_000;
    const me = await startInstance(t.db, { now: () => clock, intervalMs: 20 });
    expect(await liveInstances(t.db, clock)).toEqual([{ id: me.id, host: expect.any(String), pid: process.pid, startedAt: 1_000_000, seenAt: 1_000_000 }]);
    clock += 60_000;
    await expect.poll(() => seenAt(me.id)).toBe(clock);
    expect((await liveInstances(t.db, clock)).map((i) => i.id)).toEqual([me.id]);
    await me.stop();
    expect(await liveInstances(t.db, clock)).toEqual([]);
    expect((await t.db.execute('SELECT count(*) AS n FROM app_instances')).rows[0]!.n).toBe(0);
  });

  it('counts a row not renewed for three heartbeats as a process that is gone', async () => {
    await t.db.write({ sql: 'INSERT INTO app_instances (id, host, pid, started_at, seen_at) VALUES (?, ?, ?, ?, ?)', args: ['h 1 x', 'h', 1, 0, 10_000] });
    expect(await liveInstances(t.db, 10_000 + STALE_AFTER_MS - 1)).toHaveLength(1);
    expect(await liveInstances(t.db, 10_000 + STALE_AFTER_MS)).toEqual([]);
  });

  it('writes its row again when it was removed from under it', async () => {
    const me = await startInstance(t.db, { intervalMs: 20 });
    await t.db.write('DELETE FROM app_instances');
    await expect.poll(async () => (await liveInstances(t.db)).map((i) => i.id)).toEqual([me.id]);
    await me.stop();
  });

  it('clears rows of processes long gone when it starts', async () => {
    await t.db.write({ sql: 'INSERT INTO app_instances (id, host, pid, started_at, seen_at) VALUES (?, ?, ?, ?, ?)', args: ['old 1 x', 'old', 1, 0, 0] });
    const me = await startInstance(t.db);
    expect((await t.db.execute('SELECT id FROM app_instances')).rows.map((r) => r.id)).toEqual([me.id]);
    await me.stop();
  });

  it('does not stop the app when the database cannot be written at its start, and registers once it can', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'switchyard-instances-'));
    const file = join(dir, 'locked.db');
    const db = await openDatabase(fileUrl(file), undefined, 50);
    await migrate(db);
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => {});
    const lock = await holdWriteLock(file);
    try {
      const me = await startInstance(db, { intervalMs: 20 });
      expect(warn.mock.calls[0]![0]).toMatch(/^Could not register this process in the database yet \(The database is busy/);
      expect(await liveInstances(db)).toEqual([]);
      await lock.release();
      await expect.poll(async () => (await liveInstances(db)).map((i) => i.id)).toEqual([me.id]);
      await me.stop();
    } finally {
      await lock.release();
      warn.mockRestore();
      db.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
