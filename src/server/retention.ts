/**
 * The retention sweep: deletes what config.yaml's `retention:` rules no
 * longer keep. Finished runs (with their log lines, run folder and, when they
 * still name that run, the button's status file and report), audit entries,
 * and saved history. Nothing is deleted without a rule.
 *
 * Deletion goes in small write transactions (a few hundred runs or a few
 * thousand log lines or audit entries each), with a pause after each at least
 * as long as the transaction took, so the sweep never holds the write lock for
 * long and other writers (saves, runners, other app processes, which retry on
 * timers) get the lock in between.
 */
import { countScheduleEventsBefore, forgetScheduleEventsBefore } from './schedules/store.ts';
import { countDeliveriesBefore, forgetDeliveriesBefore } from './notify/deliveries.ts';
import { countGitChangesBefore, forgetGitChangesBefore } from './git/adopt.ts';
import { setTimeout as sleep } from 'node:timers/promises';
import { auditMaxAgeMs, historyMaxAgeMs, runsRule, type RunsRule } from '../core/config/retention.ts';
import type { SiteConfig } from '../core/config/schema.ts';
import type { App } from './app.ts';
import { audit, forgetAuditBefore } from './audit.ts';
import { forgetChangesIn } from './history.ts';
import { forgetRunLogsIn, forgetRunsIn } from './runs/queue.ts';
import type { Database, Executor, Transaction } from './db.ts';
import { removeLeftoverRunFolders, removeRunFiles, type DeletedRun } from './retention-files.ts';

export const REMOVED_KINDS = ['runs', 'run_logs', 'run_folders', 'status_files', 'reports', 'audit', 'changes', 'config_history', 'publications', 'schedule_events', 'deliveries', 'git_changes'] as const;
export type Removed = Record<(typeof REMOVED_KINDS)[number], number>;

export const noneRemoved = (): Removed => Object.fromEntries(REMOVED_KINDS.map((k) => [k, 0])) as Removed;

export interface SweepOptions {
  /** Count what would go, delete nothing. */
  dryRun?: boolean;
  /** Runs per transaction. */
  batchRuns?: number;
  /** Log lines or audit entries per transaction. */
  batchRows?: number;
  /** Saves per transaction (each brings one config_history row per parameter). */
  batchChanges?: number;
  /** Least pause after each transaction. */
  pauseMs?: number;
  /** Counts carried over from an earlier, interrupted sweep of the same slot. */
  start?: Removed;
  /** Written inside every deleting transaction with the counts so far, so a crash loses no count. */
  alongside?: (tx: Transaction, removed: Removed) => Promise<void>;
  /** What the audit entry says started the sweep. */
  trigger?: string;
}

export interface SweepResult {
  removed: Removed;
  /** Deleting transactions, and the longest time one held the write lock. */
  transactions: number;
  longestTransactionMs: number;
  /** How long each deleting transaction took, in order. */
  transactionMs: number[];
  tookMs: number;
}

const FINISHED = `state NOT IN ('queued', 'running')`;
const placeholders = (n: number) => Array(n).fill('?').join(',');

/** Bookkeeping shared by the steps of one sweep. */
class Sweep {
  readonly app: App;
  readonly opts: Required<Pick<SweepOptions, 'batchRuns' | 'batchRows' | 'batchChanges' | 'pauseMs'>> & SweepOptions;
  readonly removed: Removed;
  readonly transactionMs: number[] = [];
  constructor(app: App, opts: Sweep['opts']) {
    this.app = app;
    this.opts = opts;
    this.removed = { ...(opts.start ?? noneRemoved()) };
  }

  get db(): Database {
    return this.app.db;
  }

  /** One short write transaction that deletes, adds to the counts, and then yields the lock. */
  async deleting(work: (tx: Transaction) => Promise<Partial<Removed>>): Promise<Partial<Removed>> {
    let ms = 0;
    const counted = await this.db.transaction(async (tx) => {
      // From holding the lock (BEGIN IMMEDIATE has taken it) to releasing it: waits for it are not counted.
      const held = performance.now();
      const counts = await work(tx);
      const next = add({ ...this.removed }, counts);
      await this.opts.alongside?.(tx, next);
      await tx.commit();
      ms = performance.now() - held;
      return counts;
    });
    add(this.removed, counted);
    this.transactionMs.push(ms);
    await sleep(Math.max(this.opts.pauseMs, ms));
    return counted;
  }
}

function add(into: Removed, counts: Partial<Removed>): Removed {
  for (const [k, v] of Object.entries(counts)) into[k as keyof Removed] += v ?? 0;
  return into;
}

export async function sweepRetention(app: App, now = Date.now(), opts: SweepOptions = {}): Promise<SweepResult> {
  const started = performance.now();
  const site = (await app.config.current()).config;
  const sweep = new Sweep(app, { batchRuns: 200, batchRows: 2000, batchChanges: 50, pauseMs: 20, ...opts });
  await sweepRuns(sweep, site, now);
  await sweepAudit(sweep, site, now);
  await sweepHistory(sweep, site, now);
  const removed = sweep.removed;
  const ms = sweep.transactionMs;
  const result = { removed, transactions: ms.length, longestTransactionMs: Math.max(0, ...ms), transactionMs: ms, tookMs: performance.now() - started };
  if (!opts.dryRun && Object.values(removed).some((n) => n > 0)) {
    await audit(app.db, { action: 'retention_sweep', detail: { ...removed, trigger: opts.trigger ?? 'manual' } });
  }
  return result;
}

/** Whether any level of the config asks for anything to be deleted. */
export function retentionConfigured(site: SiteConfig): boolean {
  const levels = [site.retention, ...site.pages.flatMap((p) => [p.retention, ...p.buttons.map((b) => b.retention)])];
  return levels.some((l) => l && Object.values(l).some((rule) => rule && Object.values(rule).some((v) => v !== null && v !== undefined)));
}

// ---- runs ---------------------------------------------------------------

/**
 * Ids of a button's finished runs that the rule lets go, oldest first. A run's
 * age counts from when it finished. The newest run of the whole table always
 * stays: SQLite gives a new row the highest id plus one, so deleting it would
 * hand its id (and its old links and run folder) to the next run.
 */
async function runCandidates(ex: Executor, slug: string, button: string, rule: RunsRule, now: number, limit: number): Promise<number[]> {
  const why: string[] = [];
  const args: (string | number)[] = [slug, button];
  if (rule.maxAgeMs !== null) (why.push('COALESCE(finished_at, created_at) < ?'), args.push(new Date(now - rule.maxAgeMs).toISOString()));
  if (rule.maxCount !== null) {
    why.push('id < (SELECT id FROM runs WHERE page_slug = ? AND button_name = ? ORDER BY id DESC LIMIT 1 OFFSET ?)');
    args.push(slug, button, rule.maxCount - 1);
  }
  if (why.length === 0) return [];
  const { rows } = await ex.execute({
    sql: `SELECT id FROM runs WHERE page_slug = ? AND button_name = ? AND ${FINISHED}
          AND id < (SELECT max(id) FROM runs) AND (${why.join(' OR ')}) ORDER BY id LIMIT ?`,
    args: [...args, limit],
  });
  return rows.map((r) => Number(r.id));
}

async function sweepRuns(sweep: Sweep, site: SiteConfig, now: number): Promise<void> {
  const { rows } = await sweep.db.execute('SELECT DISTINCT page_slug, button_name FROM runs');
  for (const r of rows) {
    const slug = String(r.page_slug);
    const button = String(r.button_name);
    const rule = runsRule(site, slug, button);
    if (rule.maxAgeMs === null && rule.maxCount === null) continue;
    if (sweep.opts.dryRun) {
      await countRuns(sweep, await runCandidates(sweep.db, slug, button, rule, now, Number.MAX_SAFE_INTEGER));
      continue;
    }
    for (;;) {
      const ids = await runCandidates(sweep.db, slug, button, rule, now, sweep.opts.batchRuns);
      // None deleted means they were not finished after all: stop rather than choose them again forever.
      if (ids.length === 0 || (await deleteRuns(sweep, ids)) === 0) break;
    }
  }
  if (!sweep.opts.dryRun && runsRuled(site)) {
    sweep.removed.run_folders += await removeLeftoverRunFolders(sweep.db, sweep.app.settings.dataDir);
  }
}

function runsRuled(site: SiteConfig): boolean {
  return [site.retention?.runs, ...site.pages.flatMap((p) => [p.retention?.runs, ...p.buttons.map((b) => b.retention?.runs)])].some(
    (r) => r && (r.max_age != null || r.max_count != null),
  );
}

const deletedRun = (r: Record<string, unknown>): DeletedRun => ({ id: Number(r.id), statusFile: String(r.status_file), reportPath: String(r.report_path) });

async function countRuns(sweep: Sweep, ids: number[]): Promise<void> {
  for (let i = 0; i < ids.length; i += 500) {
    const chunk = ids.slice(i, i + 500);
    const { rows } = await sweep.db.execute({ sql: `SELECT count(*) AS n FROM run_logs WHERE run_id IN (${placeholders(chunk.length)})`, args: chunk });
    const runs = await sweep.db.execute({ sql: `SELECT id, status_file, report_path FROM runs WHERE id IN (${placeholders(chunk.length)})`, args: chunk });
    sweep.removed.runs += chunk.length;
    sweep.removed.run_logs += Number(rows[0]!.n);
    add(sweep.removed, await removeRunFiles(sweep.app.settings.dataDir, runs.rows.map(deletedRun), true));
  }
}

/**
 * Deletes a batch of runs: their log lines first, a few thousand per
 * transaction (one run may hold hundreds of thousands), then the runs
 * themselves in one transaction, then their files.
 */
async function deleteRuns(sweep: Sweep, ids: number[]): Promise<number> {
  for (;;) {
    const { run_logs = 0 } = await sweep.deleting(async (tx) => ({ run_logs: await forgetRunLogsIn(tx, ids, sweep.opts.batchRows) }));
    if (run_logs < sweep.opts.batchRows) break;
  }
  let deleted: DeletedRun[] = [];
  await sweep.deleting(async (tx) => {
    const gone = await forgetRunsIn(tx, ids);
    deleted = gone.runs;
    return { runs: gone.runs.length, run_logs: gone.logLines };
  });
  add(sweep.removed, await removeRunFiles(sweep.app.settings.dataDir, deleted));
  return deleted.length;
}

// ---- audit log ----------------------------------------------------------

async function sweepAudit(sweep: Sweep, site: SiteConfig, now: number): Promise<void> {
  const maxAge = auditMaxAgeMs(site);
  if (maxAge === null) return;
  const cutoff = new Date(now - maxAge).toISOString();
  if (sweep.opts.dryRun) {
    const { rows } = await sweep.db.execute({ sql: 'SELECT count(*) AS n FROM audit_log WHERE at < ?', args: [cutoff] });
    sweep.removed.audit += Number(rows[0]!.n);
    sweep.removed.schedule_events += await countScheduleEventsBefore(sweep.db, now - maxAge);
    sweep.removed.deliveries += await countDeliveriesBefore(sweep.db, cutoff);
    sweep.removed.git_changes += await countGitChangesBefore(sweep.db, cutoff);
    return;
  }
  for (;;) {
    const { audit: n = 0 } = await sweep.deleting(async (tx) => ({ audit: await forgetAuditBefore(tx, cutoff, sweep.opts.batchRows) }));
    if (n < sweep.opts.batchRows) break;
  }
  // A schedule's missed and skipped moments are records of what happened, like the audit log: they go by its age.
  for (;;) {
    const { schedule_events: n = 0 } = await sweep.deleting(async (tx) => ({ schedule_events: await forgetScheduleEventsBefore(tx, now - maxAge, sweep.opts.batchRows) }));
    if (n < sweep.opts.batchRows) break;
  }
  // So are notifications sent or given up (those still waiting are kept, whatever their age).
  for (;;) {
    const { deliveries: n = 0 } = await sweep.deleting(async (tx) => ({ deliveries: await forgetDeliveriesBefore(tx, cutoff, sweep.opts.batchRows) }));
    if (n < sweep.opts.batchRows) break;
  }
  // And changes found in Git once decided, refused or past (one still offered is kept).
  for (;;) {
    const { git_changes: n = 0 } = await sweep.deleting(async (tx) => ({ git_changes: await forgetGitChangesBefore(tx, cutoff, sweep.opts.batchRows) }));
    if (n < sweep.opts.batchRows) break;
  }
}

// ---- history --------------------------------------------------------------

/**
 * The oldest save of a page that must stay whatever its age: the latest (the
 * page's current values are read from it), or, while a save still waits to
 * be published (pending or in conflict), the save before it, which the
 * publisher diffs against for the commit message.
 */
async function keepFrom(ex: Executor, slug: string): Promise<number | undefined> {
  const { rows } = await ex.execute({
    sql: `SELECT
            (SELECT max(id) FROM changes WHERE page_slug = ?1) AS latest,
            (SELECT min(change_id) FROM publications WHERE page_slug = ?1 AND state IN ('pending', 'conflict', 'proposed')) AS waiting`,
    args: [slug],
  });
  const latest = rows[0]?.latest == null ? undefined : Number(rows[0].latest);
  const waiting = rows[0]?.waiting == null ? undefined : Number(rows[0].waiting);
  if (latest === undefined || waiting === undefined) return latest;
  const before = await ex.execute({ sql: 'SELECT max(id) AS id FROM changes WHERE page_slug = ? AND id < ?', args: [slug, waiting] });
  return before.rows[0]?.id == null ? waiting : Math.min(latest, Number(before.rows[0].id));
}

async function changeCandidates(ex: Executor, slug: string, cutoff: string, limit: number): Promise<number[]> {
  const keep = await keepFrom(ex, slug);
  if (keep === undefined) return [];
  const { rows } = await ex.execute({
    sql: 'SELECT id FROM changes WHERE page_slug = ? AND id < ? AND saved_at < ? ORDER BY id LIMIT ?',
    args: [slug, keep, cutoff, limit],
  });
  return rows.map((r) => Number(r.id));
}

async function sweepHistory(sweep: Sweep, site: SiteConfig, now: number): Promise<void> {
  const { rows } = await sweep.db.execute('SELECT DISTINCT page_slug FROM changes');
  for (const r of rows) {
    const slug = String(r.page_slug);
    const maxAge = historyMaxAgeMs(site, slug);
    if (maxAge === null) continue;
    const cutoff = new Date(now - maxAge).toISOString();
    if (sweep.opts.dryRun) {
      await countChanges(sweep, await changeCandidates(sweep.db, slug, cutoff, Number.MAX_SAFE_INTEGER));
      continue;
    }
    for (;;) {
      // Chosen inside the transaction: a save or a publication that lands meanwhile moves what must stay.
      const { changes = 0 } = await sweep.deleting(async (tx) => deleteChanges(tx, await changeCandidates(tx, slug, cutoff, sweep.opts.batchChanges)));
      if (changes === 0) break;
    }
  }
}

async function deleteChanges(tx: Transaction, ids: number[]): Promise<Partial<Removed>> {
  return ids.length === 0 ? {} : forgetChangesIn(tx, ids);
}

async function countChanges(sweep: Sweep, ids: number[]): Promise<void> {
  for (let i = 0; i < ids.length; i += 500) {
    const chunk = ids.slice(i, i + 500);
    const args = chunk;
    const h = await sweep.db.execute({ sql: `SELECT count(*) AS n FROM config_history WHERE change_id IN (${placeholders(chunk.length)})`, args });
    const p = await sweep.db.execute({ sql: `SELECT count(*) AS n FROM publications WHERE change_id IN (${placeholders(chunk.length)})`, args });
    sweep.removed.changes += chunk.length;
    sweep.removed.config_history += Number(h.rows[0]!.n);
    sweep.removed.publications += Number(p.rows[0]!.n);
  }
}
