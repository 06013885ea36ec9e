/**
 * Whether this process can do its work, for a supervisor or a load balancer
 * to poll: the database answers and is migrated, a config is live, and how
 * the runners and the Git outbox stand. A few small reads; nothing secret
 * (counts and ages only: no paths, names or config problems).
 */
import type { App } from './app.ts';
import { migrations } from './migrations.ts';
import { backlog } from './git/outbox.ts';
import { runnerCounts } from './runners.ts';
import { liveInstances } from './instances.ts';
import { deliveryCounts } from './notify/deliveries.ts';

export interface Readiness {
  ready: boolean;
  database: { ok: boolean; schema: number | null; expected: number; error?: string };
  /** `live`: config.yaml as it is on disk; `last_good`: a changed file was refused and the last good one serves. */
  config: { state: 'live' | 'last_good'; problems: number };
  runners: { active: number; online: number } | null;
  git: { pending: number; conflicts: number; proposed: number; oldest_pending_seconds: number | null } | null;
  /** Notification deliveries waiting, and given up (until an admin resends them). */
  notifications: { pending: number; failed: number } | null;
  /** App processes serving this database (each renews its row every few seconds). */
  app_processes: number | null;
}

const EXPECTED_SCHEMA = Math.max(...migrations.map((m) => m.version));

/** What an operator does about a schema this version did not expect. */
function schemaProblem(schema: number | null, missing: number[]): string {
  if (schema === EXPECTED_SCHEMA) return `migration ${missing.join(', ')} of this Switchyard is not applied: restart it so that its migrations run`;
  if (schema !== null && schema > EXPECTED_SCHEMA) return `the database was migrated by a newer Switchyard (schema ${schema}, this one knows ${EXPECTED_SCHEMA}): run that version, or restore a backup made for this one`;
  return `the database is at schema ${schema ?? 'none'}, this Switchyard needs ${EXPECTED_SCHEMA}: restart it so that its migrations run`;
}

async function database(app: App): Promise<Readiness['database']> {
  try {
    const { rows } = await app.db.execute('SELECT version FROM schema_migrations');
    const applied = new Set(rows.map((r) => Number(r.version)));
    const schema = applied.size ? Math.max(...applied) : null;
    // Every migration this version knows, not only the highest: numbers are not applied strictly in turn.
    const missing = migrations.map((m) => m.version).filter((v) => !applied.has(v));
    const ok = missing.length === 0 && schema === EXPECTED_SCHEMA;
    return { ok, schema, expected: EXPECTED_SCHEMA, ...(ok ? {} : { error: schemaProblem(schema, missing) }) };
  } catch (e) {
    // Only the kind of fault: a driver message may carry a path.
    return { ok: false, schema: null, expected: EXPECTED_SCHEMA, error: (e as { code?: string }).code ?? 'the database does not answer' };
  }
}

export async function readiness(app: App): Promise<Readiness> {
  const db = await database(app);
  const live = await app.config.current();
  const [runners, git, notifications, processes] = db.ok
    ? await Promise.all([runnerCounts(app.db), backlog(app.db), deliveryCounts(app.db), liveInstances(app.db)])
    : [null, null, null, null];
  return {
    ready: db.ok,
    database: db,
    config: { state: live.rejected ? 'last_good' : 'live', problems: live.rejected?.problems.length ?? 0 },
    runners,
    git: git && { pending: git.pending, conflicts: git.conflicts, proposed: git.proposed, oldest_pending_seconds: git.oldestPendingSeconds },
    notifications,
    app_processes: processes && processes.length,
  };
}
