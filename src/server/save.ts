/**
 * The one way a save is recorded, whether it comes from the form, a restore
 * or the JSON API: one write transaction (with the outbox row when Git is
 * on, and the audit entry), then the publisher woken.
 */
import type { PageConfig, Values } from '../core/config/schema.ts';
import type { App } from './app.ts';
import { audit } from './audit.ts';
import { publicationTarget } from './git/target.ts';
import type { Transaction } from './db.ts';
import { saveValues, type HistoryEntry, type SaveResult } from './history.ts';
import { countSave } from './metrics.ts';
import { recordEvent } from './notify/events.ts';

/** A save as its notification tells it: who, when, why (null when not said), and each parameter before and after. */
function changeData(entry: HistoryEntry, restoredFrom: unknown) {
  return {
    id: entry.id,
    author: entry.author,
    saved_at: entry.savedAt,
    reason: entry.reason ?? null,
    ...(restoredFrom === undefined ? {} : { restored_from: restoredFrom }),
    changes: entry.changes.map((c) => ({ name: c.name, before: c.before ?? null, after: c.after ?? null })),
    values: entry.values,
  };
}

export interface SaveBy {
  user: { id: number; username: string };
  ip: string;
  /** Why, already checked (core/reason.ts); none when not given. */
  reason?: string;
  /** Added to the audit entry, e.g. `{ restored_from: 3 }` or `{ via: 'api' }`. */
  detail?: Record<string, unknown>;
}

export async function recordSave(app: App, page: PageConfig, values: Values, baseRevision: number | undefined, by: SaveBy): Promise<SaveResult> {
  const live = await app.config.current();
  const publishTo = publicationTarget(live.config.git, app.settings.configPath);
  const restoredFrom = by.detail?.restored_from;
  const alongside = async (tx: Transaction, entry: HistoryEntry) => {
    await audit(tx, {
      action: 'save',
      userId: by.user.id,
      username: by.user.username,
      ip: by.ip,
      detail: { page: page.slug, change: entry.id, ...by.detail, ...(by.reason === undefined ? {} : { reason: by.reason }), changed: entry.changes.map((c) => c.name) },
    });
    await recordEvent(tx, {
      type: restoredFrom === undefined ? 'values.saved' : 'values.restored',
      page: page.slug,
      data: { change: changeData(entry, restoredFrom) },
    });
  };
  const result = await saveValues(app.db, { page, values, baseRevision, configRevision: live.revision, user: by.user, reason: by.reason, publishTo, alongside });
  if (result.status === 'saved') countSave(page.slug);
  if (result.status === 'saved' && publishTo) app.publications.saved();
  if (result.status === 'saved') app.deliveries.poke();
  return result;
}
