/**
 * Saves proposed instead of committed on the branch (see migration 24): the
 * `proposals` table, one open proposal per page and target, and how the
 * outcome of one (merged, closed) reaches its saves' publications. Every
 * statement on proposals is here; the worker calls these functions, holding
 * the target's publisher lease, and each outcome is recorded only while the
 * save's claim is still this process's (as in outbox.ts).
 */
import type { Database, Executor } from '../db.ts';
import { CLAIM } from '../claims.ts';
import type { Pending } from './outbox.ts';

export interface Proposal {
  id: number;
  slug: string;
  path: string;
  branch: string;
  number?: number;
  url?: string;
  headSha: string;
  blobSha: string;
  etag?: string;
  body: string;
}

/** The publications of a proposal's saves (its id the statement's parameter). */
const SAVES_OF = 'change_id IN (SELECT change_id FROM proposal_saves WHERE proposal_id = ?)';

const COLUMNS = 'id, page_slug, path, branch, number, url, head_sha, blob_sha, etag, body';

function proposalOf(r: Record<string, unknown>): Proposal {
  return {
    id: Number(r.id),
    slug: String(r.page_slug),
    path: String(r.path),
    branch: String(r.branch),
    number: r.number == null ? undefined : Number(r.number),
    url: r.url == null ? undefined : String(r.url),
    headSha: String(r.head_sha),
    blobSha: String(r.blob_sha),
    etag: r.etag == null ? undefined : String(r.etag),
    body: String(r.body),
  };
}

/** The page's open proposal on this target, which its next save goes on top of. */
export async function openProposal(ex: Executor, target: string, slug: string): Promise<Proposal | undefined> {
  const { rows } = await ex.execute({ sql: `SELECT ${COLUMNS} FROM proposals WHERE target = ? AND page_slug = ? AND state = 'open'`, args: [target, slug] });
  return rows[0] ? proposalOf(rows[0]) : undefined;
}

/** The target's open proposals, the one checked longest ago first. */
export async function openProposals(ex: Executor, target: string): Promise<Proposal[]> {
  const { rows } = await ex.execute({ sql: `SELECT ${COLUMNS} FROM proposals WHERE target = ? AND state = 'open' ORDER BY checked_at, id`, args: [target] });
  return rows.map(proposalOf);
}

/** What the publisher answered when it proposed a save. */
export interface Proposed {
  target: string;
  path: string;
  branch: string;
  number?: number;
  url?: string;
  sha: string;
  blob: string;
  body: string;
}

/**
 * The save's commit is on the side branch and proposed: the page's open
 * proposal is opened or moved on to it, and the save is `proposed` (no longer
 * pending, so the page's next save goes ahead, on top of it).
 */
export async function markProposed(db: Database, item: Pending, p: Proposed): Promise<boolean> {
  return db.transaction(async (tx) => {
    const now = new Date().toISOString();
    const { rows } = await tx.execute({
      sql: `INSERT INTO proposals (target, page_slug, path, branch, number, url, head_sha, blob_sha, state, body, created_at, updated_at)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, 'open', ?, ?, ?)
            ON CONFLICT (target, page_slug) WHERE state = 'open' DO UPDATE SET
              number = excluded.number, url = excluded.url, head_sha = excluded.head_sha, blob_sha = excluded.blob_sha, body = excluded.body, updated_at = excluded.updated_at
            RETURNING id`,
      args: [p.target, item.slug, p.path, p.branch, p.number ?? null, p.url ?? null, p.sha, p.blob, p.body, now, now],
    });
    const proposal = Number(rows[0]!.id);
    const mine = await tx.execute({
      sql: `UPDATE publications SET state = 'proposed', commit_sha = ?, commit_url = ?, last_error = NULL, attempts = attempts + 1, target = ?, updated_at = ?,
              claim = NULL, claimed_until = 0
            WHERE change_id = ? AND state = 'pending' AND claim = ? RETURNING change_id`,
      args: [p.sha, p.url ?? null, p.target, now, item.changeId, CLAIM],
    });
    // Taken over by another process meanwhile: nothing is recorded here (the transaction is rolled back).
    if (mine.rows.length === 0) return false;
    await tx.execute({ sql: 'INSERT OR REPLACE INTO proposal_saves (change_id, proposal_id) VALUES (?, ?)', args: [item.changeId, proposal] });
    await tx.commit();
    return true;
  });
}

/** The proposal is unchanged (GitHub's ETag kept for the next look); it is looked at again after the others. */
export async function stillOpen(db: Database, id: number, etag: string | undefined): Promise<void> {
  await db.write({ sql: `UPDATE proposals SET etag = ?, checked_at = ? WHERE id = ? AND state = 'open'`, args: [etag ?? null, Date.now(), id] });
}

/**
 * Merged as `merge.sha`: its saves are committed, and what the target's file
 * holds now is recorded as Switchyard's own write (the merge is not someone
 * else's change to adopt, nor a conflict for the next direct save). Saves
 * whose commits came after the merged `head` (pushed while it was being
 * merged) are not in it: they go back in line, for a new proposal.
 */
export async function markMerged(db: Database, target: string, p: Proposal, merge: { sha: string; url?: string; blob?: string; head?: string }): Promise<void> {
  await db.transaction(async (tx) => {
    const now = new Date().toISOString();
    const closed = await tx.execute({ sql: `UPDATE proposals SET state = 'merged', updated_at = ? WHERE id = ? AND state = 'open' RETURNING id`, args: [now, p.id] });
    if (closed.rows.length === 0) return;
    const upTo = merge.head && merge.head !== p.headSha ? await saveOfCommit(tx, p.id, merge.head) : undefined;
    if (upTo !== undefined) {
      await tx.execute({
        sql: `UPDATE publications SET state = 'pending', commit_sha = NULL, commit_url = NULL, attempts = 0, next_attempt_at = 0, updated_at = ? WHERE ${SAVES_OF} AND state = 'proposed' AND change_id > ?`,
        args: [now, p.id, upTo],
      });
      await tx.execute({ sql: `DELETE FROM proposal_saves WHERE proposal_id = ? AND change_id > ?`, args: [p.id, upTo] });
    }
    const saves = await tx.execute({
      sql: `UPDATE publications SET state = 'committed', commit_sha = ?, commit_url = ?, updated_at = ? WHERE ${SAVES_OF} AND state = 'proposed' RETURNING change_id`,
      args: [merge.sha, merge.url ?? null, now, p.id],
    });
    const last = Math.max(0, ...saves.rows.map((r) => Number(r.change_id)));
    if (merge.blob && last > 0) {
      await tx.execute({
        sql: `INSERT INTO published_files (target, path, blob_sha, change_id) VALUES (?, ?, ?, ?)
              ON CONFLICT (target, path) DO UPDATE SET blob_sha = excluded.blob_sha, change_id = excluded.change_id`,
        args: [target, p.path, merge.blob, last],
      });
    }
    await tx.commit();
  });
}

/** The save of the proposal whose commit is `sha`, if one is. */
async function saveOfCommit(ex: Executor, proposal: number, sha: string): Promise<number | undefined> {
  const { rows } = await ex.execute({ sql: `SELECT change_id FROM publications WHERE ${SAVES_OF} AND commit_sha = ?`, args: [proposal, sha] });
  return rows[0] ? Number(rows[0].change_id) : undefined;
}

/** Closed without merging: its saves end `closed` with the reason, and the page's next save opens a new proposal. */
export async function markClosed(db: Database, p: Proposal, reason: string): Promise<void> {
  await db.transaction(async (tx) => {
    const now = new Date().toISOString();
    const closed = await tx.execute({ sql: `UPDATE proposals SET state = 'closed', updated_at = ? WHERE id = ? AND state = 'open' RETURNING id`, args: [now, p.id] });
    if (closed.rows.length === 0) return;
    await tx.execute({ sql: `UPDATE publications SET state = 'closed', last_error = ?, updated_at = ? WHERE ${SAVES_OF} AND state = 'proposed'`, args: [reason, now, p.id] });
    await tx.commit();
  });
}
