/**
 * What `/metrics` reports, in Prometheus' text format (prom-client).
 *
 * Several app processes may share one database, and each is scraped as its
 * own target. So what happens in a process (requests, saves, exports, logins,
 * runs ending) is counted by that process, and what the database holds (runs
 * by state, the queue, runners online, the Git outbox, the database's size) is
 * read from it at scrape time, so every process reports the same truth.
 */
import { perProcess } from './per-process.ts';
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { App } from './app.ts';
import { backlog } from './git/outbox.ts';
import { deliveryCounts } from './notify/deliveries.ts';
import { runnerCounts } from './runners.ts';
import { log } from './log.ts';

/** Route label of whatever never reached a page or endpoint: static files (and a request refused before routing). */
export const STATIC_ROUTE = '(static)';

function build() {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  const registers = [registry];
  return {
    registry,
    httpRequests: new Counter({ name: 'switchyard_http_requests_total', help: 'HTTP requests answered, by method, route pattern and status code.', labelNames: ['method', 'route', 'status'], registers }),
    httpDuration: new Histogram({
      name: 'switchyard_http_request_duration_seconds',
      help: 'Time from a request arriving to its response being written, by method and route pattern.',
      labelNames: ['method', 'route'],
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers,
    }),
    saves: new Counter({ name: 'switchyard_saves_total', help: 'Saves that changed values (form, restore or API), by page.', labelNames: ['page'], registers }),
    exports: new Counter({ name: 'switchyard_exports_total', help: 'YAML exports downloaded, by page.', labelNames: ['page'], registers }),
    logins: new Counter({ name: 'switchyard_logins_total', help: 'Login attempts, by result: ok, failed (wrong name or password, disabled, empty) or throttled.', labelNames: ['result'], registers }),
    runsEnded: new Counter({ name: 'switchyard_runs_ended_total', help: 'Runs whose end this process recorded, by page, button and final state.', labelNames: ['page', 'button', 'state'], registers }),
    runDuration: new Histogram({
      name: 'switchyard_run_duration_seconds',
      help: 'Script start to end of the runs whose end this process recorded (runs that started), by page, button and final state.',
      labelNames: ['page', 'button', 'state'],
      buckets: [0.5, 1, 5, 15, 30, 60, 300, 900, 1800, 3600, 4 * 3600, 12 * 3600, 24 * 3600, 7 * 24 * 3600],
      registers,
    }),
    scheduleFires: new Counter({ name: 'switchyard_schedule_fires_total', help: 'Scheduled moments that started a run, decided by this process, by page and button.', labelNames: ['page', 'button'], registers }),
    scheduleMisses: new Counter({ name: 'switchyard_schedule_misses_total', help: 'Scheduled moments missed (the app was down or could not reach its database), recorded by this process, by page and button.', labelNames: ['page', 'button'], registers }),
    scheduleSkips: new Counter({ name: 'switchyard_schedule_skips_total', help: 'Scheduled moments skipped because the previous run was still going (overlap: skip), by page and button.', labelNames: ['page', 'button'], registers }),
    runs: new Gauge({ name: 'switchyard_runs', help: 'Runs queued or running, by page, button and state (ended runs: switchyard_runs_ended_total).', labelNames: ['page', 'button', 'state'], registers }),
    queueDepth: new Gauge({ name: 'switchyard_run_queue_depth', help: 'Runs waiting for a runner (state queued).', registers }),
    runnersOnline: new Gauge({ name: 'switchyard_runners_online', help: 'Runners with a valid token that called in during the last minute.', registers }),
    runnersActive: new Gauge({ name: 'switchyard_runners_active', help: 'Runners with a valid (not revoked) token.', registers }),
    outboxPending: new Gauge({ name: 'switchyard_git_outbox_pending', help: 'Saves waiting to be published to Git.', registers }),
    outboxConflicts: new Gauge({ name: 'switchyard_git_outbox_conflicts', help: 'Saves held back by a Git conflict until someone publishes anyway.', registers }),
    outboxProposed: new Gauge({ name: 'switchyard_git_outbox_proposed', help: 'Saves proposed on a side branch (a pull request) and not merged yet.', registers }),
    outboxOldest: new Gauge({ name: 'switchyard_git_outbox_oldest_pending_seconds', help: 'Age of the oldest save waiting to be published (0 when none waits).', registers }),
    deliveriesPending: new Gauge({ name: 'switchyard_notifications_pending', help: 'Notification deliveries waiting to be sent (first tries and retries).', registers }),
    deliveriesFailed: new Gauge({ name: 'switchyard_notifications_failed', help: 'Notification deliveries given up after their attempts, until an admin resends them.', registers }),
    databaseSize: new Gauge({ name: 'switchyard_database_size_bytes', help: 'Size of the database (page count times page size).', registers }),
    databaseUp: new Gauge({ name: 'switchyard_database_up', help: '1 when the database answered this scrape, 0 when it did not (the database gauges are then left out).', registers }),
  };
}

type Metrics = ReturnType<typeof build>;

/** The process's metrics. Other modules add their own with `counter` below rather than building a registry of their own. */
export function metrics(): Metrics {
  return perProcess('metrics', build);
}

/**
 * A counter on the process's registry, made once however often this is
 * called (e.g. `counter('switchyard_schedule_fires_total', '…', ['page', 'button'])`).
 */
export function counter<L extends string>(name: string, help: string, labelNames: L[] = []): Counter<L> {
  const { registry } = metrics();
  const existing = registry.getSingleMetric(name);
  if (existing) return existing as Counter<L>;
  return new Counter({ name, help, labelNames, registers: [registry] });
}

export function observeRequest(method: string, route: string, status: number, seconds: number): void {
  const m = metrics();
  m.httpRequests.inc({ method, route, status: String(status) });
  m.httpDuration.observe({ method, route }, seconds);
}

export function countSave(page: string): void {
  metrics().saves.inc({ page });
}

export function countExport(page: string): void {
  metrics().exports.inc({ page });
}

export function countLogin(result: 'ok' | 'failed' | 'throttled'): void {
  metrics().logins.inc({ result });
}

/** A run this process saw end: counted, and its duration observed if its script started. */
export function observeRunEnd(run: { page: string; button: string; state: string; startedAt: string | null; finishedAt: string | null }): void {
  const labels = { page: run.page, button: run.button, state: run.state };
  const m = metrics();
  m.runsEnded.inc(labels);
  if (run.startedAt && run.finishedAt) m.runDuration.observe(labels, Math.max(0, Date.parse(run.finishedAt) - Date.parse(run.startedAt)) / 1000);
}

/** What one look at a schedule decided (exactly one process decides each moment, so the sum over processes is the whole). */
export function countScheduleDecision(page: string, button: string, decided: { run?: number; missed?: number; skipped?: boolean }): void {
  const m = metrics();
  if (decided.run) m.scheduleFires.inc({ page, button });
  if (decided.missed) m.scheduleMisses.inc({ page, button }, decided.missed);
  if (decided.skipped) m.scheduleSkips.inc({ page, button });
}

interface DatabaseState {
  runs: { page: string; button: string; state: string; count: number }[];
  runners: { active: number; online: number };
  outbox: Awaited<ReturnType<typeof backlog>>;
  deliveries: { pending: number; failed: number };
  sizeBytes: number;
}

/**
 * Five small reads: the queued and running runs (through the runs_state index,
 * so the cost follows the runs under way, not the history), runner, outbox and
 * delivery counts as /readyz reads them, two pragmas. Ended runs are not counted here:
 * grouping the whole table took 30 ms at 10,000 runs and grows with it; they
 * are the switchyard_runs_ended_total counters instead.
 */
async function readDatabase(app: App): Promise<DatabaseState> {
  const [runs, runners, outbox, deliveries, size] = await Promise.all([
    app.db.execute("SELECT page_slug, button_name, state, count(*) AS n FROM runs WHERE state IN ('queued', 'running') GROUP BY page_slug, button_name, state"),
    runnerCounts(app.db),
    backlog(app.db),
    deliveryCounts(app.db),
    app.db.execute('SELECT page_count * page_size AS bytes FROM pragma_page_count(), pragma_page_size()'),
  ]);
  return {
    runs: runs.rows.map((r) => ({ page: String(r.page_slug), button: String(r.button_name), state: String(r.state), count: Number(r.n) })),
    runners,
    outbox,
    deliveries,
    sizeBytes: Number(size.rows[0]?.bytes ?? 0),
  };
}

function apply(m: Metrics, state: DatabaseState | undefined): void {
  const gauges = [m.runs, m.queueDepth, m.runnersOnline, m.runnersActive, m.outboxPending, m.outboxConflicts, m.outboxProposed, m.outboxOldest, m.deliveriesPending, m.deliveriesFailed, m.databaseSize];
  // Reset first: a gauge the database could not be read for is left out rather than repeating an old value.
  for (const g of gauges) g.reset();
  m.databaseUp.set(state ? 1 : 0);
  if (!state) return;
  for (const r of state.runs) m.runs.set({ page: r.page, button: r.button, state: r.state }, r.count);
  m.queueDepth.set(state.runs.filter((r) => r.state === 'queued').reduce((n, r) => n + r.count, 0));
  m.runnersOnline.set(state.runners.online);
  m.runnersActive.set(state.runners.active);
  m.outboxPending.set(state.outbox.pending);
  m.outboxConflicts.set(state.outbox.conflicts);
  m.outboxProposed.set(state.outbox.proposed);
  m.outboxOldest.set(state.outbox.oldestPendingSeconds ?? 0);
  m.deliveriesPending.set(state.deliveries.pending);
  m.deliveriesFailed.set(state.deliveries.failed);
  m.databaseSize.set(state.sizeBytes);
}

let turn: Promise<unknown> = Promise.resolve();

/** The metrics text. Scrapes take turns, so one's gauges never mix with another's. */
export function scrape(app: App): Promise<string> {
  const next = turn.then(async () => {
    const m = metrics();
    const state = await readDatabase(app).catch((e: unknown) => {
      log().warn({ err: e }, 'Reading the database for /metrics failed; switchyard_database_up is 0');
      return undefined;
    });
    apply(m, state);
    return m.registry.metrics();
  });
  turn = next.catch(() => undefined);
  return next;
}

export function metricsContentType(): string {
  return metrics().registry.contentType;
}
