/** The history service on a real libSQL file: saves, conflicts, concurrency, paging, migrations, another process's lock. */
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { PageConfig } from '../../src/core/config/schema.ts';
import { audit } from '../../src/server/audit.ts';
import { DatabaseUnavailable, fileUrl, migrate, openDatabase, type Database } from '../../src/server/db.ts';
import { currentValues, pageHistory, saveValues } from '../../src/server/history.ts';
import { migrations } from '../../src/server/migrations.ts';
import { ROOT } from '../helpers/server.ts';
import { holdWriteLock } from '../helpers/db-lock.ts';

const page: PageConfig = {
  slug: 'pipeline',
  title: 'Pipeline',
  requires_login: true,
  buttons: [],
  parameters: [
    { name: 'dir', type: 'text', required: true, default: '/in' },
    { name: 'workers', type: 'integer', required: false, default: 2 },
  ],
};
const user = { id: 1, username: 'alice' };

let dir: string;
let db: Database;
beforeEach(async () => {
  dir = mkdtempSync(join(tmpdir(), 'switchyard-db-'));
  db = await openDatabase(fileUrl(join(dir, 'test.db')));
  await migrate(db);
  for (const name of ['alice', 'bob']) {
    await db.write({ sql: "INSERT INTO users (username, role, password_hash, created_at) VALUES (?, 'editor', 'x', '')", args: [name] });
  }
});
afterEach(() => {
  db.close();
  rmSync(dir, { recursive: true, force: true });
});

const save = (values: Record<string, string | number>, baseRevision: number, who = user) =>
  saveValues(db, { page, values, baseRevision, configRevision: 'test', user: who });

describe('saves', () => {
  it('starts from the defaults at revision 0', async () => {
    expect(await currentValues(db, page)).toEqual({ values: { dir: '/in', workers: 2 }, revision: 0 });
  });

  it('moves the revision forward and refuses a save based on an old one', async () => {
    const first = await save({ dir: '/a', workers: 3 }, 0);
    expect(first.status).toBe('saved');
    const rev = first.status === 'saved' ? first.entry.id : -1;
    expect(await currentValues(db, page)).toMatchObject({ values: { dir: '/a', workers: 3 }, revision: rev });
    const stale = await save({ dir: '/b', workers: 3 }, 0, { id: 2, username: 'bob' });
    expect(stale.status).toBe('conflict');
    if (stale.status === 'conflict') {
      expect(stale.since.map((e) => [e.author, e.changes.map((c) => [c.name, c.before, c.after])])).toEqual([
        ['alice', [['dir', '/in', '/a'], ['workers', 2, 3]]],
      ]);
    }
    expect((await currentValues(db, page)).values.dir).toBe('/a');
  });

  it('lets exactly one of many concurrent saves from the same revision through, mixed with other writes', async () => {
    const results = await Promise.all([
      ...Array.from({ length: 24 }, (_, i) => save({ dir: `/race/${i}`, workers: 1 }, 0)),
      ...Array.from({ length: 24 }, () => audit(db, { action: 'export' }).then(() => ({ status: 'audit' }))),
    ]);
    const statuses = results.map((r) => r.status);
    expect(statuses.filter((s) => s === 'saved')).toHaveLength(1);
    expect(statuses.filter((s) => s === 'conflict')).toHaveLength(23);
    expect(statuses.filter((s) => s === 'audit')).toHaveLength(24);
  });

  it('serialises many concurrent saves that each build on the latest', async () => {
    const results = [];
    for (let round = 0; round < 3; round++) {
      results.push(
        ...(await Promise.all(
          Array.from({ length: 10 }, async (_, i) => {
            for (;;) {
              const { revision } = await currentValues(db, page);
              const r = await save({ dir: `/r${round}/${i}`, workers: i }, revision);
              if (r.status !== 'conflict') return r;
            }
          }),
        )),
      );
    }
    expect(results.every((r) => r.status === 'saved')).toBe(true);
    const { entries } = await pageHistory(db, page, { limit: 100 });
    expect(entries).toHaveLength(30);
  });

  it('saves on top of the latest when no base revision is given, recording which one it was', async () => {
    await save({ dir: '/a', workers: 1 }, 0);
    const r = await saveValues(db, { page, values: { dir: '/b', workers: 1 }, configRevision: 'test', user });
    expect(r.status).toBe('saved');
    const { rows } = await db.execute('SELECT base_change_id FROM changes ORDER BY id');
    expect(rows.map((x) => Number(x.base_change_id))).toEqual([0, 1]);
  });

  it('writes nothing when a save changes nothing', async () => {
    const first = await save({ dir: '/a', workers: 3 }, 0);
    const rev = first.status === 'saved' ? first.entry.id : -1;
    expect(await save({ dir: '/a', workers: 3 }, rev)).toEqual({ status: 'unchanged', revision: rev });
  });
});

describe('history', () => {
  it('pages backwards, newest first, each entry diffed against the save before it', async () => {
    let rev = 0;
    for (let i = 1; i <= 7; i++) {
      const r = await save({ dir: `/v${i}`, workers: 2 }, rev);
      if (r.status !== 'saved') throw new Error(r.status);
      rev = r.entry.id;
    }
    const first = await pageHistory(db, page, { limit: 3 });
    expect(first.more).toBe(true);
    expect(first.entries.map((e) => e.values.dir)).toEqual(['/v7', '/v6', '/v5']);
    const second = await pageHistory(db, page, { limit: 3, before: first.entries[2]!.id });
    expect(second.entries.map((e) => e.values.dir)).toEqual(['/v4', '/v3', '/v2']);
    expect(second.entries[2]!.changes.map((c) => [c.before, c.after])).toEqual([['/v1', '/v2']]);
    const last = await pageHistory(db, page, { limit: 3, before: second.entries[2]!.id });
    expect(last.more).toBe(false);
    expect(last.entries[0]!.changes.map((c) => [c.name, c.before, c.after])).toEqual([['dir', '/in', '/v1']]);
  });
});

describe('migrations', () => {
  const migrateInChild = (url: string) =>
    new Promise<number[]>((ok, fail) => {
      const code = `import { migrate, openDatabase } from ${JSON.stringify(join(ROOT, 'src/server/db.ts'))};
        const db = await openDatabase(${JSON.stringify(url)}); console.log(JSON.stringify(await migrate(db))); db.close();`;
      execFile(process.execPath, ['--input-type=module', '-e', code], (err, stdout, stderr) => (err ? fail(new Error(stderr)) : ok(JSON.parse(stdout))));
    });

  it('apply once, even when two processes start together', async () => {
    const url = fileUrl(join(dir, 'fresh.db'));
    const applied = await Promise.all([migrateInChild(url), migrateInChild(url)]);
    expect(applied.flat().sort((a, b) => a - b)).toEqual(migrations.map((m) => m.version));
    expect(await migrateInChild(url)).toEqual([]);
  });
});

describe('another process holding the write lock', () => {
  const count = async () => Number((await db.execute('SELECT count(*) AS n FROM changes')).rows[0]!.n);

  it('makes writes wait without blocking the event loop, then go through', async () => {
    const lock = await holdWriteLock(join(dir, 'test.db'));
    const settled: string[] = [];
    const writes = [
      save({ dir: '/a', workers: 1 }, 0).finally(() => settled.push('transaction')),
      db.write({ sql: "INSERT INTO audit_log (at, action, detail) VALUES ('', 'export', '{}')" }).finally(() => settled.push('write')),
      db.batch([{ sql: "INSERT INTO audit_log (at, action, detail) VALUES ('', 'export', '{}')" }]).finally(() => settled.push('batch')),
    ];
    // A timer set after the writes fires while they wait: the loop is free. Reads go on meanwhile.
    await new Promise((r) => setTimeout(r, 200));
    expect(await count()).toBe(0);
    expect(settled).toEqual([]);
    await lock.release();
    await Promise.all(writes);
    expect(await count()).toBe(1);
  });

  it('refuses a write as busy past the deadline, writing nothing, and the next writes all succeed', async () => {
    const short = await openDatabase(fileUrl(join(dir, 'test.db')), undefined, 300);
    try {
      const lock = await holdWriteLock(join(dir, 'test.db'));
      const refused = await saveValues(short, { page, values: { dir: '/busy' }, baseRevision: 0, configRevision: 'test', user }).catch((e: unknown) => e);
      expect(refused).toBeInstanceOf(DatabaseUnavailable);
      expect((refused as DatabaseUnavailable).kind).toBe('busy');
      await expect(short.write({ sql: "INSERT INTO audit_log (at, action, detail) VALUES ('', 'export', '{}')" })).rejects.toThrow(/database is busy/);
      await lock.release();
      let rev = 0;
      for (let i = 0; i < 5; i++) {
        const r = await saveValues(short, { page, values: { dir: `/after/${i}` }, baseRevision: rev, configRevision: 'test', user });
        expect(r.status).toBe('saved');
        rev = r.status === 'saved' ? r.entry.id : -1;
      }
      expect(await count()).toBe(5);
    } finally {
      short.close();
    }
  });
});
