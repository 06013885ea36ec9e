/**
 * The dashboard's read model: what is running and waiting, what failed last,
 * each button's latest run, recent durations and charted figures, runners, the Git and
 * notification backlogs, and the latest saves. Reads only, every one from the
 * database, so any app process serving the same database shows the same.
 * Runs and saves are limited to the pages the viewer may see; the backlogs
 * are counts (as /readyz shows them to anyone).
 */
import type { Button, SiteConfig } from '../core/config/schema.ts';
import type { FigureUnit } from '../core/figures.ts';
import { may, showsButton } from '../core/access.ts';
import { pageOf } from '../core/config/lookup.ts';
import type { Viewer } from './auth/access.ts';
import type { Database, Executor } from './db.ts';
import { backlog } from './git/outbox.ts';
import { deliveryCounts } from './notify/deliveries.ts';
import { runnerCounts } from './runners.ts';
import { latestRuns, listRuns, type RunView } from './runs/read.ts';

/** One finished run of a button, as the duration chart draws it. */
export interface DurationPoint {
  id: number;
  /** When it started, in seconds since 1970 (the chart's x). */
  at: number;
  seconds: number;
  ok: boolean;
}

/** A figure of a button's recent runs, as its chart draws it (metrics: in config.yaml). */
export interface FigureSeries {
  name: string;
  label: string;
  unit: FigureUnit;
  /** Oldest first; runs that did not give this figure are left out. */
  points: { id: number; at: number; value: number; ok: boolean }[];
}

export interface ButtonSummary {
  page: string;
  pageTitle: string;
  button: string;
  label: string;
  latest: RunView | undefined;
  /** Its last finished runs, oldest first. */
  durations: DurationPoint[];
  figures: FigureSeries[];
}

export interface RecentSave {
  id: number;
  page: string;
  pageTitle: string;
  author: string;
  savedAt: string;
}

export interface Dashboard {
  active: RunView[];
  failures: RunView[];
  buttons: ButtonSummary[];
  runners: { active: number; online: number };
  git: { pending: number; conflicts: number; oldestPendingSeconds: number | null };
  notifications: { pending: number; failed: number };
  saves: RecentSave[];
}

/** How many finished runs per button the chart shows. */
export const CHART_RUNS = 30;
const FAILED = ['failed', 'timed_out', 'lost'] as const;

/** The last `CHART_RUNS` finished runs of a button with their durations, oldest first (index runs_button). */
export async function durations(ex: Executor, page: string, button: string): Promise<DurationPoint[]> {
  const { rows } = await ex.execute({
    sql: `SELECT id, state, started_at, finished_at FROM runs
          WHERE page_slug = ? AND button_name = ? AND started_at IS NOT NULL AND finished_at IS NOT NULL
          ORDER BY id DESC LIMIT ?`,
    args: [page, button, CHART_RUNS],
  });
  return rows.reverse().map((r) => {
    const start = Date.parse(String(r.started_at));
    return { id: Number(r.id), at: start / 1000, seconds: Math.max(0, (Date.parse(String(r.finished_at)) - start) / 1000), ok: r.state === 'succeeded' };
  });
}

/** The figures a button charts, from its last `CHART_RUNS` finished runs that gave any. */
export async function figures(ex: Executor, page: string, button: Button): Promise<FigureSeries[]> {
  if (!button.metrics?.length) return [];
  const { rows } = await ex.execute({
    sql: `SELECT id, state, started_at, created_at, metrics FROM runs
          WHERE page_slug = ? AND button_name = ? AND metrics IS NOT NULL AND finished_at IS NOT NULL ORDER BY id DESC LIMIT ?`,
    args: [page, button.name, CHART_RUNS],
  });
  const runs = rows.reverse().map((r) => ({ id: Number(r.id), at: Date.parse(String(r.started_at ?? r.created_at)) / 1000, ok: r.state === 'succeeded', metrics: JSON.parse(String(r.metrics)) as Record<string, number> }));
  return button.metrics.map((m) => ({
    name: m.name,
    label: m.label,
    unit: m.unit,
    points: runs.filter((r) => typeof r.metrics[m.name] === 'number').map((r) => ({ id: r.id, at: r.at, value: r.metrics[m.name]!, ok: r.ok })),
  }));
}

async function recentSaves(ex: Executor, site: SiteConfig, pages: string[]): Promise<RecentSave[]> {
  if (pages.length === 0) return [];
  const { rows } = await ex.execute({
    sql: `SELECT id, page_slug, author, saved_at FROM changes WHERE page_slug IN (${pages.map(() => '?').join(',')}) ORDER BY id DESC LIMIT 10`,
    args: pages,
  });
  return rows.map((r) => ({
    id: Number(r.id),
    page: String(r.page_slug),
    pageTitle: pageOf(site, String(r.page_slug))?.title ?? String(r.page_slug),
    author: String(r.author),
    savedAt: String(r.saved_at),
  }));
}

/** Each button the viewer's pages show them (one with its own `access` only to those who may run it). */
async function buttonSummaries(ex: Executor, site: SiteConfig, pages: string[], viewer: Viewer): Promise<ButtonSummary[]> {
  const out: ButtonSummary[] = [];
  for (const page of site.pages.filter((p) => pages.includes(p.slug) && p.buttons.length > 0)) {
    const latest = await latestRuns(ex, page.slug);
    for (const b of page.buttons.filter((b) => showsButton(viewer.user, page, b))) {
      out.push({ page: page.slug, pageTitle: page.title, button: b.name, label: b.label, latest: latest.get(b.name), durations: await durations(ex, page.slug, b.name), figures: await figures(ex, page.slug, b) });
    }
  }
  return out;
}

/** Runs in any of these states, newest first, of the visible pages. */
async function runsIn(ex: Executor, pages: string[], states: readonly string[], limit: number): Promise<RunView[]> {
  const lists = await Promise.all(states.map((state) => listRuns(ex, { pages, state: state as RunView['state'], limit })));
  return lists.flatMap((l) => l.runs).sort((a, b) => b.id - a.id).slice(0, limit);
}

export async function dashboard(db: Database, site: SiteConfig, viewer: Viewer): Promise<Dashboard> {
  const pages = site.pages.filter((p) => may(viewer.user, p, 'view')).map((p) => p.slug);
  const [active, failures, buttons, runners, git, notifications, saves] = await Promise.all([
    runsIn(db, pages, ['running', 'queued'], 50),
    runsIn(db, pages, FAILED, 10),
    buttonSummaries(db, site, pages, viewer),
    runnerCounts(db),
    backlog(db),
    deliveryCounts(db),
    recentSaves(db, site, pages),
  ]);
  return { active, failures, buttons, runners, git, notifications, saves };
}
