/**
 * The one way a save is recorded, whether it comes from the form, a restore
 * or the JSON API: one write transaction (with the outbox row when Git is
 * on), the publisher woken, and the audit entry.
 */
import type { PageConfig, Values } from '../core/config/schema.ts';
import type { App } from './app.ts';
import { audit } from './audit.ts';
import { publisherFor } from './git/worker.ts';
import { saveValues, type SaveResult } from './history.ts';

export interface SaveBy {
  user: { id: number; username: string };
  ip: string;
  /** Added to the audit entry, e.g. `{ restored_from: 3 }` or `{ via: 'api' }`. */
  detail?: Record<string, unknown>;
}

export async function recordSave(app: App, page: PageConfig, values: Values, baseRevision: number | undefined, by: SaveBy): Promise<SaveResult> {
  const live = await app.config.current();
  const publisher = publisherFor(live.config.git, app.settings.configPath, () => {});
  const result = await saveValues(app.db, { page, values, baseRevision, configRevision: live.revision, user: by.user, publishTo: publisher?.target });
  if (result.status !== 'saved') return result;
  if (publisher) app.publications.saved();
  await audit(app.db, {
    action: 'save',
    userId: by.user.id,
    username: by.user.username,
    ip: by.ip,
    detail: { page: page.slug, change: result.entry.id, ...by.detail, changed: result.entry.changes.map((c) => c.name) },
  });
  return result;
}
