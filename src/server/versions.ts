/**
 * A save whose publication met a change in the repository, published anyway
 * on the word of someone who may edit the page.
 */
import type { App } from './app.ts';
import { audit } from './audit.ts';
import { requireAccess, type Viewer } from './auth/access.ts';
import { Refused } from './refused.ts';
import { findPage } from './pages/view.ts';

/**
 * A save marked as conflicting is published after all: its file replaces the
 * one in the repository, by an ordinary commit on top of whatever is there.
 * For people who may edit the page; audited.
 */
export async function publishAnyway(app: App, slug: string, viewer: Viewer, form: FormData): Promise<void> {
  const { page } = await findPage(app, slug);
  requireAccess(viewer.user, page, 'view');
  requireAccess(viewer.user, page, 'edit');
  const id = Number(form.get('change'));
  const now = new Date().toISOString();
  await app.db.transaction(async (tx) => {
    const { rows } = await tx.execute({
      sql: `UPDATE publications SET state = 'pending', overwrite = 1, attempts = 0, next_attempt_at = 0, last_error = NULL, updated_at = ?
            WHERE change_id = ? AND page_slug = ? AND state = 'conflict' RETURNING change_id`,
      args: [now, id, page.slug],
    });
    if (!rows[0]) throw new Refused('conflict', 'That save is not waiting on a conflict (any more).');
    // The page's later saves met the same edit in the repository; once this one has replaced
    // it they build on this one's file, so they go back in line after it, in order.
    const later = await tx.execute({
      sql: `UPDATE publications SET state = 'pending', attempts = 0, next_attempt_at = 0, last_error = NULL, updated_at = ?
            WHERE page_slug = ? AND change_id > ? AND state = 'conflict' RETURNING change_id`,
      args: [now, page.slug, id],
    });
    const requeued = later.rows.map((r) => Number(r.change_id));
    await audit(tx, { action: 'publish_anyway', userId: viewer.user!.id, username: viewer.user!.username, ip: viewer.ip, detail: { page: page.slug, change: id, requeued } });
    await tx.commit();
  });
  app.publications.saved();
}
