/**
 * Proposals in the outbox on a real database, in-process: a proposed save is
 * out of line (the page's next save goes ahead, into the same proposal),
 * counted apart, and a merge or a close reaches every save of the proposal.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { PageConfig } from '../../src/core/config/schema.ts';
import type { Database } from '../../src/server/db.ts';
import { currentValues, saveValues } from '../../src/server/history.ts';
import { backlog, claim, lastPublished, pageHeads, publicationsOf } from '../../src/server/git/outbox.ts';
import { markClosed, markMerged, markProposed, openProposal, type Proposed } from '../../src/server/git/proposals.ts';
import { tempDatabase } from '../helpers/temp-db.ts';

const A: PageConfig = { slug: 'a', title: 'A', requires_login: true, buttons: [], parameters: [{ name: 'n', type: 'integer', required: false, default: 0 }] };
const TARGET = 'github:acme/settings#main@https://api.github.com';

let db: Database;
let close: () => void;
let n = 0;
beforeEach(async () => {
  ({ db, close } = await tempDatabase());
  await db.write("INSERT INTO users (username, role, password_hash, created_at) VALUES ('alice', 'editor', 'x', '')");
});
afterEach(() => close());

async function save(): Promise<number> {
  const result = await saveValues(db, { page: A, values: { n: ++n }, configRevision: 'r', user: { id: 1, username: 'alice' }, publishTo: TARGET });
  if (result.status !== 'saved') throw new Error(result.status);
  return result.entry.id;
}

const asked = (id: number): Proposed => ({ target: TARGET, path: 'values/a.yaml', branch: 'switchyard/a', number: 7, url: 'https://github.example/acme/settings/pull/7', sha: `side${id}`, blob: `blob${id}`, body: `save ${id}` });

/** Claims the page's next save and records it as proposed. */
async function propose(id: number): Promise<boolean> {
  const item = (await pageHeads(db)).find((h) => h.changeId === id)!;
  expect(await claim(db, item)).toBe(true);
  return markProposed(db, item, asked(id));
}

describe('a proposed save', () => {
  it('leaves the line, lets the next save of its page go into the same proposal, and is counted as proposed', async () => {
    const a1 = await save();
    const a2 = await save();
    expect(await propose(a1)).toBe(true);
    expect((await pageHeads(db)).map((h) => h.changeId)).toEqual([a2]);
    expect(await propose(a2)).toBe(true);
    const open = await openProposal(db, TARGET, 'a');
    expect(open).toMatchObject({ number: 7, headSha: `side${a2}`, blobSha: `blob${a2}`, body: `save ${a2}` });
    expect((await db.execute("SELECT count(*) AS n FROM proposals")).rows[0]!.n).toBe(1);
    expect(await backlog(db)).toMatchObject({ pending: 0, proposed: 2 });
    expect((await currentValues(db, A)).lastSave?.publication).toMatchObject({
      state: 'proposed',
      sha: `side${a2}`,
      proposal: { branch: 'switchyard/a', number: 7, url: 'https://github.example/acme/settings/pull/7' },
    });
  });

  it('is recorded only while the claim is this process’s', async () => {
    const a1 = await save();
    const item = (await pageHeads(db))[0]!;
    expect(await claim(db, item)).toBe(true);
    await db.write({ sql: 'UPDATE publications SET claim = ? WHERE change_id = ?', args: ['elsewhere 1 x', a1] });
    expect(await markProposed(db, item, asked(a1))).toBe(false);
    expect(await openProposal(db, TARGET, 'a')).toBeUndefined();
  });

  it('merged: every save of the proposal is committed as the merge, and the file is recorded as what the branch now holds', async () => {
    const [a1, a2] = [await save(), await save()];
    await propose(a1);
    await propose(a2);
    await markMerged(db, TARGET, (await openProposal(db, TARGET, 'a'))!, { sha: 'merge1', url: 'https://github.example/c/merge1', blob: 'mainblob' });
    const pubs = await publicationsOf(db, [a1, a2]);
    for (const id of [a1, a2]) expect(pubs.get(id)).toMatchObject({ state: 'committed', sha: 'merge1', url: 'https://github.example/c/merge1', proposal: { number: 7 } });
    expect(await lastPublished(db, TARGET, 'values/a.yaml')).toEqual({ blob: 'mainblob', changeId: a2 });
    expect(await openProposal(db, TARGET, 'a')).toBeUndefined();
    expect(await backlog(db)).toMatchObject({ proposed: 0 });
  });

  it('merged before its last save reached it: that save goes back in line, the others are committed', async () => {
    const [a1, a2] = [await save(), await save()];
    await propose(a1);
    await propose(a2);
    await markMerged(db, TARGET, (await openProposal(db, TARGET, 'a'))!, { sha: 'merge1', blob: 'mainblob', head: `side${a1}` });
    const pubs = await publicationsOf(db, [a1, a2]);
    expect(pubs.get(a1)).toMatchObject({ state: 'committed', sha: 'merge1' });
    expect(pubs.get(a2)).toMatchObject({ state: 'pending', sha: null, attempts: 0 });
    expect(pubs.get(a2)!.proposal).toBeUndefined();
    expect((await pageHeads(db)).map((h) => h.changeId)).toEqual([a2]);
    expect(await lastPublished(db, TARGET, 'values/a.yaml')).toEqual({ blob: 'mainblob', changeId: a1 });
  });

  it('closed: its saves end closed with the reason, and the next save opens a new proposal', async () => {
    const a1 = await save();
    await propose(a1);
    await markClosed(db, (await openProposal(db, TARGET, 'a'))!, 'pull request #7 was closed without merging');
    expect((await publicationsOf(db, [a1])).get(a1)).toMatchObject({ state: 'closed', error: 'pull request #7 was closed without merging' });
    const a2 = await save();
    await propose(a2);
    const open = await openProposal(db, TARGET, 'a');
    expect(open!.headSha).toBe(`side${a2}`);
    expect((await publicationsOf(db, [a1])).get(a1)!.state).toBe('closed');
    expect((await db.execute("SELECT count(*) AS n FROM proposals")).rows[0]!.n).toBe(2);
  });
});
