/**
 * Group commit on a real libSQL file: grouped transactions that wait at the
 * same moment share one COMMIT, each in its own savepoint, and each caller
 * hears of exactly what was stored.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { Database } from '../../src/server/db.ts';
import { tempDatabase } from '../helpers/temp-db.ts';

let close: (() => void) | undefined;
afterEach(() => close?.());

async function open(): Promise<Database> {
  const temp = await tempDatabase();
  close = temp.close;
  await temp.db.write('CREATE TABLE t (id INTEGER PRIMARY KEY, name TEXT NOT NULL)');
  return temp.db;
}

/** Holds the write queue until `release` is called, so the grouped transactions asked meanwhile form one group. */
function holdQueue(db: Database): { release: () => void; done: Promise<void> } {
  let release!: () => void;
  const held = new Promise<void>((r) => (release = r));
  const done = db.transaction(async (tx) => {
    await held;
    await tx.commit();
  });
  return { release, done };
}

const stored = async (db: Database) => (await db.execute('SELECT name FROM t ORDER BY id')).rows.map((r) => String(r.name));

describe('group commit', () => {
  it('runs the transactions that waited together in one transaction, in order, each seeing the ones before it', async () => {
    const db = await open();
    const hold = holdQueue(db);
    const seen: { inTx: number; outside: number }[] = [];
    const saves = Array.from({ length: 8 }, (_, i) =>
      db.grouped(async (tx) => {
        await tx.execute({ sql: 'INSERT INTO t (name) VALUES (?)', args: [`s${i}`] });
        const inTx = Number((await tx.execute('SELECT count(*) AS n FROM t')).rows[0]!.n);
        const outside = Number((await db.execute('SELECT count(*) AS n FROM t')).rows[0]!.n);
        seen.push({ inTx, outside });
        await tx.commit();
        return i;
      }),
    );
    hold.release();
    expect(await Promise.all(saves)).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
    await hold.done;
    // Each saw the ones before it, and no other connection saw any of them before the one COMMIT.
    expect(seen).toEqual(Array.from({ length: 8 }, (_, i) => ({ inTx: i + 1, outside: 0 })));
    expect(await stored(db)).toEqual(['s0', 's1', 's2', 's3', 's4', 's5', 's6', 's7']);
  });

  it("rolls back only the member that threw its own error or did not commit, and answers each with its own outcome", async () => {
    const db = await open();
    const hold = holdQueue(db);
    const insert = (name: string, end: 'commit' | 'throw' | 'return') =>
      db.grouped(async (tx) => {
        await tx.execute({ sql: 'INSERT INTO t (name) VALUES (?)', args: [name] });
        if (end === 'throw') throw new Error(`${name} refused`);
        if (end === 'commit') await tx.commit();
        return name;
      });
    const outcomes = Promise.allSettled([insert('a', 'commit'), insert('b', 'throw'), insert('c', 'return'), insert('d', 'commit')]);
    hold.release();
    const [a, b, c, d] = await outcomes;
    expect(a).toEqual({ status: 'fulfilled', value: 'a' });
    expect(b).toMatchObject({ status: 'rejected', reason: { message: 'b refused' } });
    expect(c).toEqual({ status: 'fulfilled', value: 'c' }); // its answer, though nothing of it was stored
    expect(d).toEqual({ status: 'fulfilled', value: 'd' });
    expect(await stored(db)).toEqual(['a', 'd']);
  });

  it('after a driver error, rejects that member and runs the others again in a fresh transaction', async () => {
    const db = await open();
    const hold = holdQueue(db);
    const runs: Record<string, number> = {};
    const insert = (name: string, sql = 'INSERT INTO t (name) VALUES (?)') =>
      db.grouped(async (tx) => {
        runs[name] = (runs[name] ?? 0) + 1;
        await tx.execute({ sql, args: [name] });
        await tx.commit();
        return name;
      });
    const outcomes = Promise.allSettled([insert('a'), insert('bad', 'INSERT INTO missing_table (name) VALUES (?)'), insert('c')]);
    hold.release();
    const [a, bad, c] = await outcomes;
    expect(a).toEqual({ status: 'fulfilled', value: 'a' });
    expect(bad).toMatchObject({ status: 'rejected', reason: { message: expect.stringContaining('missing_table') } });
    expect(c).toEqual({ status: 'fulfilled', value: 'c' });
    expect(runs).toEqual({ a: 2, bad: 1, c: 1 }); // a ran again: its first transaction was rolled back with the group
    expect(await stored(db)).toEqual(['a', 'c']);
    // The connection still works for the next write.
    await insert('e');
    expect(await stored(db)).toEqual(['a', 'c', 'e']);
  });

  it('when the COMMIT fails, tells every member whose writes it held, and stores none of them', async () => {
    const db = await open();
    await db.write('CREATE TABLE parent (id INTEGER PRIMARY KEY)');
    await db.write('CREATE TABLE child (id INTEGER PRIMARY KEY, parent INTEGER REFERENCES parent (id) DEFERRABLE INITIALLY DEFERRED)');
    // Checked only at COMMIT: a deferred foreign key is the one way to make a COMMIT fail on demand.
    await db.write('PRAGMA foreign_keys = ON');
    const hold = holdQueue(db);
    const outcomes = Promise.allSettled([
      db.grouped(async (tx) => {
        await tx.execute("INSERT INTO t (name) VALUES ('fine')");
        await tx.commit();
      }),
      db.grouped(async (tx) => {
        await tx.execute('INSERT INTO child (parent) VALUES (42)');
        await tx.commit();
      }),
    ]);
    hold.release();
    const results = await outcomes;
    expect(results.map((r) => r.status)).toEqual(['rejected', 'rejected']);
    expect(String((results[0] as PromiseRejectedResult).reason)).toMatch(/FOREIGN KEY/);
    expect(await stored(db)).toEqual([]);
    expect((await db.execute('SELECT count(*) AS n FROM child')).rows[0]!.n).toBe(0);
  });

  it('a grouped transaction alone is an ordinary one', async () => {
    const db = await open();
    const id = await db.grouped(async (tx) => {
      const r = await tx.execute("INSERT INTO t (name) VALUES ('only') RETURNING id");
      await tx.commit();
      return Number(r.rows[0]!.id);
    });
    expect(id).toBe(1);
    expect(await stored(db)).toEqual(['only']);
  });
});
