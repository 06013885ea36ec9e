/**
 * Reads through kept prepared statements answer exactly as the libSQL client
 * did: rows by column name, blobs as ArrayBuffers, booleans bound as 0/1,
 * each write visible to the next read, and SQLite's failures as the client's
 * errors (so a busy or full database still reads as a fault).
 */
import { afterEach, describe, expect, it } from 'vitest';
import { createClient } from '@libsql/client';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileUrl, openDatabase, type Database } from '../../src/server/db.ts';
import { localPath } from '../../src/server/db-reader.ts';

let dir: string | undefined;
let db: Database | undefined;
afterEach(() => {
  db?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
  db = dir = undefined;
});

async function open(): Promise<{ db: Database; dir: string }> {
  const d = mkdtempSync(join(tmpdir(), 'switchyard-reader-'));
  const opened = await openDatabase(fileUrl(join(d, 'x.db')));
  await opened.write('CREATE TABLE t (id INTEGER PRIMARY KEY, name TEXT, flag INTEGER, data BLOB)');
  [db, dir] = [opened, d];
  return { db: opened, dir: d };
}

describe('the statement reader', () => {
  it('serves plain local files only', () => {
    expect(localPath('file:/srv/data/switchyard.db')).toBe('/srv/data/switchyard.db');
    expect(localPath('file:///srv/data/my%20db.db')).toBe('/srv/data/my db.db');
    expect(localPath('file::memory:')).toBeUndefined();
    expect(localPath('file:/srv/x.db?mode=ro')).toBeUndefined();
    expect(localPath('libsql://db.example.com')).toBeUndefined();
  });

  it('answers in the client shape, and sees every write at once', async () => {
    const { db, dir } = await open();
    const blob = new Uint8Array([1, 2, 3, 250]).buffer;
    for (let i = 1; i <= 3; i++) {
      await db.write({ sql: 'INSERT INTO t (name, flag, data) VALUES (?, ?, ?)', args: [`n${i}`, i % 2 === 1, blob] });
      // The same statement text each time: prepared once, and still seeing the newest row.
      const { rows } = await db.execute({ sql: 'SELECT count(*) AS n FROM t WHERE flag = ?', args: [true] });
      expect(rows[0]!.n).toBe(Math.ceil(i / 2));
    }
    const { rows } = await db.execute({ sql: 'SELECT id, name, flag, data FROM t WHERE id = ?', args: [1] });
    expect(rows[0]).toMatchObject({ id: 1, name: 'n1', flag: 1 });
    expect(rows[0]!.data).toBeInstanceOf(ArrayBuffer);
    expect([...new Uint8Array(rows[0]!.data as ArrayBuffer)]).toEqual([1, 2, 3, 250]);
    // The same answers as the client gives.
    const client = createClient({ url: fileUrl(join(dir, 'x.db')) });
    const theirs = await client.execute('SELECT id, name, flag FROM t ORDER BY id');
    const ours = await db.execute('SELECT id, name, flag FROM t ORDER BY id');
    expect(ours.rows.map((r) => ({ ...r }))).toEqual(theirs.rows.map((r) => ({ id: r.id, name: r.name, flag: r.flag })));
    client.close();
  });

  it('sees what another process commits', async () => {
    const { db, dir } = await open();
    await db.execute('SELECT count(*) AS n FROM t');
    const other = createClient({ url: fileUrl(join(dir, 'x.db')) });
    await other.execute("INSERT INTO t (name) VALUES ('elsewhere')");
    other.close();
    expect((await db.execute('SELECT name FROM t')).rows.map((r) => r.name)).toEqual(['elsewhere']);
  });

  it("raises SQLite's failures as the client's errors", async () => {
    const { db } = await open();
    await expect(db.execute('SELECT nope FROM t')).rejects.toMatchObject({ name: 'LibsqlError', code: 'SQLITE_ERROR' });
  });
});
