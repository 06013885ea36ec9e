/**
 * The publication outbox on a real database, in-process: saves go in line
 * in their own transaction, are claimed one at a time per page in order,
 * and their outcomes (committed, failed, conflict, publish anyway) move the
 * line as the worker relies on.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { PageConfig } from '../../src/core/config/schema.ts';
import type { Database } from '../../src/server/db.ts';
import { currentValues, saveValues } from '../../src/server/history.ts';
import { heldByOther } from '../../src/server/claims.ts';
import { claim, lastPublished, markCommitted, markConflict, markFailed, pageHeads, requeueConflict, savesBetween, type Pending } from '../../src/server/git/outbox.ts';
import { tempDatabase } from '../helpers/temp-db.ts';

const pageOf = (slug: string): PageConfig => ({ slug, title: slug, requires_login: true, buttons: [], parameters: [{ name: 'n', type: 'integer', required: false, default: 0 }] });
const A = pageOf('a');
const B = pageOf('b');
const TARGET = 'local:/srv/values#main';
const user = { id: 1, username: 'alice' };

let db: Database;
let close: () => void;
let n = 0;
beforeEach(async () => {
  ({ db, close } = await tempDatabase());
  await db.write("INSERT INTO users (username, role, password_hash, created_at) VALUES ('alice', 'editor', 'x', '')");
});
afterEach(() => close());

/** Saves a new value on the page; returns the save's id. */
async function save(page: PageConfig, publishTo: string | null = TARGET): Promise<number> {
  const result = await saveValues(db, { page, values: { n: ++n }, configRevision: 'r', user, publishTo: publishTo ?? undefined });
  if (result.status !== 'saved') throw new Error(result.status);
  return result.entry.id;
}

const heads = async () => (await pageHeads(db)).map((h) => h.changeId);
const head = async (id: number) => (await pageHeads(db)).find((h) => h.changeId === id)!;
const committed = (item: Pending) => markCommitted(db, item, { sha: `sha${item.changeId}`, blob: `blob${item.changeId}`, target: TARGET, path: `values/${item.slug}.yaml` });

describe('the publication outbox', () => {
  it('puts a save in line with the save itself, and only when publication is on', async () => {
    const published = await save(A);
    const unpublished = await save(B, null);
    expect(await heads()).toEqual([published]);
    expect((await currentValues(db, A)).lastSave?.publication).toMatchObject({ state: 'pending', attempts: 0, sha: null });
    expect((await currentValues(db, B)).lastSave?.publication).toBeUndefined();
    expect(unpublished).toBeGreaterThan(published);
  });

  it("offers each page's oldest pending save, oldest first, and publishes a page's saves in order", async () => {
    const a1 = await save(A);
    const b1 = await save(B);
    const a2 = await save(A);
    expect(await heads()).toEqual([a1, b1]);

    const item = await head(a1);
    expect(await claim(db, item)).toBe(true);
    expect(await claim(db, item)).toBe(false); // what was read is no longer so: someone claimed it
    expect(heldByOther(await head(a1), Date.now())).toBe(false); // this process's own claim
    expect(await committed(item)).toBe(true);

    expect(await heads()).toEqual([b1, a2]);
    expect(await lastPublished(db, TARGET, 'values/a.yaml')).toEqual({ blob: `blob${a1}`, changeId: a1 });
    expect(await lastPublished(db, 'github:o/r#main@https://api.github.com', 'values/a.yaml')).toBeUndefined();
    expect((await currentValues(db, A)).lastSave?.publication).toMatchObject({ state: 'pending' });
    expect(await savesBetween(db, 'a', 0, a2)).toEqual([a1]);
  });

  it('holds a failed save back until its next attempt, and the later saves of its page with it', async () => {
    const a1 = await save(A);
    const a2 = await save(A);
    const item = await head(a1);
    expect(await claim(db, item)).toBe(true);
    const later = Date.now() + 60_000;
    expect(await markFailed(db, item, 'unreachable', later)).toBe(true);

    const again = await head(a1);
    expect(again).toMatchObject({ attempts: 1, nextAttemptAt: later, claim: null });
    expect(await heads()).toEqual([a1]); // a2 waits behind it
    expect(await claim(db, again)).toBe(false); // not due yet
    expect(await claim(db, item)).toBe(false); // a stale read cannot publish it again past the backoff
    expect(a2).toBeGreaterThan(a1);
  });

  it('records an outcome only while the claim is still this process’s', async () => {
    const a1 = await save(A);
    const item = await head(a1);
    expect(await claim(db, item)).toBe(true);
    // Another process took the save over after this one stalled past its claim.
    await db.write({ sql: 'UPDATE publications SET claim = ?, claimed_until = ? WHERE change_id = ?', args: ['elsewhere 1 x', Date.now() + 30_000, a1] });
    expect(heldByOther(await head(a1), Date.now())).toBe(true);
    expect(await committed(item)).toBe(false);
    expect(await markConflict(db, item, 'changed')).toBe(false);
    expect(await markFailed(db, item, 'down', 0)).toBe(false);
    expect(await lastPublished(db, TARGET, 'values/a.yaml')).toBeUndefined();
  });

  it('sends a conflicting save back in line to overwrite, with the later conflicting saves of its page after it', async () => {
    const a1 = await save(A);
    const a2 = await save(A);
    const b1 = await save(B);
    for (const id of [a1, a2]) {
      const item = await head(id);
      expect(await claim(db, item)).toBe(true);
      expect(await markConflict(db, item, 'someone else changed values/a.yaml')).toBe(true);
    }
    expect(await heads()).toEqual([b1]);
    expect((await currentValues(db, A)).lastSave?.publication).toMatchObject({ state: 'conflict', error: 'someone else changed values/a.yaml', attempts: 1 });

    const at = new Date().toISOString();
    expect(await db.transaction(async (tx) => requeueConflict(tx, 'b', b1, at))).toBeUndefined(); // not a conflict
    expect(await db.transaction(async (tx) => requeueConflict(tx, 'b', a1, at))).toBeUndefined(); // not that page's save
    const back = await db.transaction(async (tx) => {
      const r = await requeueConflict(tx, 'a', a1, at);
      await tx.commit();
      return r;
    });
    expect(back).toEqual({ requeued: [a2] });
    expect(await heads()).toEqual([a1, b1]);
    expect(await head(a1)).toMatchObject({ overwrite: true, attempts: 0, nextAttemptAt: 0 });

    const first = await head(a1);
    expect(await claim(db, first)).toBe(true);
    expect(await committed(first)).toBe(true);
    expect(await heads()).toEqual([a2, b1]);
    expect(await head(a2)).toMatchObject({ overwrite: false, attempts: 0 }); // builds on a1's file, nothing to overwrite
  });
});
