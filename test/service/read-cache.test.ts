/**
 * Results kept while the database is unchanged (read-cache.ts), on a real
 * libSQL file: kept between requests while nothing commits, and never past a
 * commit of this process, of its own request, or of another connection (as
 * another app process on the same file would make).
 */
import { afterEach, describe, expect, it } from 'vitest';
import { createClient, type Client } from '@libsql/client';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileUrl, migrate, openDatabase, type Database } from '../../src/server/db.ts';
import { createUser } from '../../src/server/users.ts';
import { createSession, generateSessionToken, validateSessionToken } from '../../src/server/auth/sessions.ts';

let dir: string | undefined;
let db: Database | undefined;
let other: Client | undefined;
afterEach(() => {
  other?.close();
  db?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
  db = dir = other = undefined;
});

async function open(): Promise<{ db: Database; other: Client }> {
  dir = mkdtempSync(join(tmpdir(), 'switchyard-cache-'));
  db = await openDatabase(fileUrl(join(dir, 'x.db')));
  await db.write('CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT)');
  await db.write("INSERT INTO t (id, v) VALUES (1, 'first')");
  // Another connection on the same file: what a second app process is to this one.
  other = createClient({ url: fileUrl(join(dir, 'x.db')), timeout: 5000 });
  return { db, other };
}

const SELECT = { sql: 'SELECT v FROM t WHERE id = ?', args: [1] };
const valueIn = async (reads: { execute: Database['execute'] }) => (await reads.execute(SELECT)).rows[0]!.v;

describe('reads kept while the database is unchanged', () => {
  it('are shared by the requests that come while nothing commits, frozen', async () => {
    const { db } = await open();
    const first = await db.snapshot().execute(SELECT);
    const second = await db.snapshot().execute(SELECT);
    expect(second).toBe(first);
    expect(() => ((first.rows[0] as Record<string, unknown>).v = 'changed')).toThrow(TypeError);
    // A different statement or argument is a different result.
    expect((await db.snapshot().execute({ sql: 'SELECT v FROM t WHERE id = ?', args: [2] })).rows).toEqual([]);
  });

  it('end with a write of this process', async () => {
    const { db } = await open();
    expect(await valueIn(db.snapshot())).toBe('first');
    await db.write("UPDATE t SET v = 'second' WHERE id = 1");
    expect(await valueIn(db.snapshot())).toBe('second');
  });

  it('end with a commit of another connection on the same file', async () => {
    const { db, other } = await open();
    expect(await valueIn(db.snapshot())).toBe('first');
    await other.execute("UPDATE t SET v = 'elsewhere' WHERE id = 1");
    expect(await valueIn(db.snapshot())).toBe('elsewhere');
    await other.batch(["UPDATE t SET v = 'in a transaction' WHERE id = 1"], 'write');
    expect(await valueIn(db.snapshot())).toBe('in a transaction');
  });

  it('share one check among the requests made before it began, and never with one made after a commit', async () => {
    const { db, other } = await open();
    const [early, late] = [db.snapshot(), db.snapshot()];
    expect(await valueIn(early)).toBe('first');
    await other.execute("UPDATE t SET v = 'elsewhere' WHERE id = 1");
    // Made before the commit, served with the check that began after it was made: it may show the state before.
    expect(await valueIn(late)).toBe('first');
    expect(await valueIn(db.snapshot())).toBe('elsewhere');
  });

  it('show a request what it wrote itself', async () => {
    const { db } = await open();
    const reads = db.snapshot();
    expect(await valueIn(reads)).toBe('first');
    await db.transaction(async (tx) => {
      await tx.execute("UPDATE t SET v = 'mine' WHERE id = 1");
      await tx.commit();
    });
    expect(await valueIn(reads)).toBe('mine');
  });

  it('are not kept on a database that is not a local file', async () => {
    const memory = await openDatabase('file::memory:');
    try {
      expect(memory.snapshot()).toBe(memory);
    } finally {
      memory.close();
    }
  });
});

describe('a session read through kept results', () => {
  async function loggedIn() {
    const { db, other } = await open();
    await migrate(db);
    const { id } = await createUser(db, { username: 'ann', password: 'ann-password-1', role: 'editor', displayName: 'Ann' });
    const token = generateSessionToken();
    await createSession(db, token, id);
    const valid = () => validateSessionToken(db, token, undefined, db.snapshot());
    expect((await valid())?.user).toMatchObject({ username: 'ann', role: 'editor' });
    return { other, valid, id };
  }

  it('ends at once when another process logs it out', async () => {
    const { other, valid } = await loggedIn();
    await other.execute('DELETE FROM sessions');
    expect(await valid()).toBeNull();
  });

  it('has the new role at once after another process changes it, and ends when the user is disabled', async () => {
    const { other, valid, id } = await loggedIn();
    await other.execute({ sql: "UPDATE users SET role = 'viewer' WHERE id = ?", args: [id] });
    expect((await valid())?.user.role).toBe('viewer');
    await other.execute({ sql: 'UPDATE users SET disabled = 1 WHERE id = ?', args: [id] });
    expect(await valid()).toBeNull();
  });
});
