/**
 * The run read model: a run as the pages and the API see it, its log and its
 * report, and the lists of runs. Reads only; the queue (queue.ts, lease.ts)
 * is the one writer of the runs and run_logs tables.
 */
import type { Values } from '../../core/config/schema.ts';
import type { RunState } from '../../protocol/index.ts';
import type { Executor } from '../db.ts';

export interface RunView {
  id: number;
  page: string;
  button: string;
  state: RunState;
  params: Values;
  /** What the button asked when pressed (empty for a button without inputs). */
  inputs: Values;
  /** The runner labels a runner needs to take this run (the button's runs_on: when queued). */
  runsOn: string[] | null;
  configRevision: string;
  requestedBy: string;
  /** The schedule's moment (ISO) for a run a schedule started; null for one a person started. */
  scheduledFor: string | null;
  rerunOf: number | null;
  createdAt: string;
  runner: string | null;
  claimedAt: string | null;
  startedAt: string | null;
  finishedAt: string | null;
  exitCode: number | null;
  signal: string | null;
  progress: number | null;
  message: string | null;
  error: string | null;
  cancelRequestedAt: string | null;
  cancelRequestedBy: string | null;
  timeoutMs: number | null;
  logLines: number;
  logBytes: number;
  logTruncated: boolean;
  lastSeq: number;
  reportType: 'html' | 'text' | null;
  reportTruncated: boolean;
  /** The files the run left (its artifacts), by name. */
  artifacts: { name: string; size: number }[];
  /** The figures its script gave (SWITCHYARD_METRICS_FILE), by name. */
  metrics: Record<string, number>;
  /** Reported through the API by a pipeline outside Switchyard (no runner ran it). */
  external: boolean;
}

export interface LogLine {
  seq: number;
  at: string;
  stream: 'stdout' | 'stderr' | 'system';
  text: string;
}

const RUN_COLUMNS = `r.id, r.page_slug, r.button_name, r.state, r.params, r.config_revision, r.requested_by, r.scheduled_for, r.rerun_of, r.created_at,
  r.claimed_at, r.started_at, r.finished_at, r.exit_code, r.signal, r.progress, r.message, r.error, r.cancel_requested_at,
  r.cancel_requested_by, r.timeout_ms, r.log_lines, r.log_bytes, r.log_truncated, r.last_seq, r.report_type, r.report_truncated, r.external, r.inputs, r.runs_on, r.metrics,
  (SELECT name FROM runners WHERE id = r.runner_id) AS runner_name,
  (SELECT json_group_array(json_object('name', name, 'size', size)) FROM (SELECT name, size FROM run_artifacts WHERE run_id = r.id ORDER BY name)) AS artifacts`;

const str = (v: unknown) => (v == null ? null : String(v));
const num = (v: unknown) => (v == null ? null : Number(v));

function toView(r: Record<string, unknown>): RunView {
  return {
    id: Number(r.id),
    page: String(r.page_slug),
    button: String(r.button_name),
    state: String(r.state) as RunState,
    params: JSON.parse(String(r.params)) as Values,
    inputs: JSON.parse(String(r.inputs ?? '{}')) as Values,
    runsOn: r.runs_on == null ? null : (JSON.parse(String(r.runs_on)) as string[]),
    configRevision: String(r.config_revision),
    requestedBy: String(r.requested_by),
    scheduledFor: r.scheduled_for == null ? null : new Date(Number(r.scheduled_for)).toISOString(),
    rerunOf: num(r.rerun_of),
    createdAt: String(r.created_at),
    runner: str(r.runner_name),
    claimedAt: str(r.claimed_at),
    startedAt: str(r.started_at),
    finishedAt: str(r.finished_at),
    exitCode: num(r.exit_code),
    signal: str(r.signal),
    progress: num(r.progress),
    message: str(r.message),
    error: str(r.error),
    cancelRequestedAt: str(r.cancel_requested_at),
    cancelRequestedBy: str(r.cancel_requested_by),
    timeoutMs: num(r.timeout_ms),
    logLines: Number(r.log_lines),
    logBytes: Number(r.log_bytes),
    logTruncated: Number(r.log_truncated) !== 0,
    lastSeq: Number(r.last_seq),
    reportType: str(r.report_type) as RunView['reportType'],
    reportTruncated: Number(r.report_truncated) !== 0,
    artifacts: JSON.parse(String(r.artifacts ?? '[]')) as RunView['artifacts'],
    metrics: r.metrics == null ? {} : (JSON.parse(String(r.metrics)) as Record<string, number>),
    external: Number(r.external) !== 0,
  };
}

export async function getRun(ex: Executor, id: number): Promise<RunView | undefined> {
  const { rows } = await ex.execute({ sql: `SELECT ${RUN_COLUMNS} FROM runs r WHERE r.id = ?`, args: [id] });
  return rows[0] ? toView(rows[0] as Record<string, unknown>) : undefined;
}


function toLine(r: Record<string, unknown>): LogLine {
  return { seq: Number(r.seq), at: String(r.at), stream: String(r.stream) as LogLine['stream'], text: String(r.text) };
}

/** Up to `limit` log lines after `afterSeq`, in order: pages through a log of any length. */
export async function runLog(ex: Executor, id: number, afterSeq = 0, limit = 5000): Promise<LogLine[]> {
  const { rows } = await ex.execute({
    sql: 'SELECT seq, at, stream, text FROM run_logs WHERE run_id = ? AND seq > ? ORDER BY seq LIMIT ?',
    args: [id, afterSeq, limit],
  });
  return rows.map((r) => toLine(r as Record<string, unknown>));
}

/** The last `limit` log lines of a run, in order. */
export async function logTail(ex: Executor, id: number, limit: number): Promise<LogLine[]> {
  const { rows } = await ex.execute({
    sql: 'SELECT seq, at, stream, text FROM (SELECT * FROM run_logs WHERE run_id = ? ORDER BY seq DESC LIMIT ?) ORDER BY seq',
    args: [id, limit],
  });
  return rows.map((r) => toLine(r as Record<string, unknown>));
}

export async function runReport(ex: Executor, id: number): Promise<{ type: 'html' | 'text'; body: string; truncated: boolean } | undefined> {
  const { rows } = await ex.execute({ sql: 'SELECT report_type, report, report_truncated FROM runs WHERE id = ?', args: [id] });
  const r = rows[0];
  if (!r || r.report_type == null) return undefined;
  return { type: String(r.report_type) as 'html' | 'text', body: String(r.report ?? ''), truncated: Number(r.report_truncated) !== 0 };
}

export interface RunFilter {
  page?: string;
  button?: string;
  state?: RunState;
  user?: string;
  before?: number;
  /** Words in the run's log text (whole words, all of them). */
  q?: string;
  /** Created at or after this moment, and before that one (ISO, UTC). */
  from?: string;
  to?: string;
  limit?: number;
  /** Only runs of these pages (those the person may see). */
  pages?: string[];
}

/** How the log search runs: the FTS index (migration 14), or LIKE and its scan (the bench's baseline). */
export type LogSearch = 'fts' | 'like';

/**
 * The search as an FTS5 query: each word a quoted string (so no word is read
 * as an operator), all of them required. Whole words, no prefixes: a prefix
 * query merges every word it could be and reads all their lines before the
 * newest (bench/log-search.ts). No words: a query that matches nothing.
 */
export function ftsQuery(q: string): string {
  const words = q.match(/[\p{L}\p{N}_]+/gu)?.slice(0, 16);
  if (!words?.length) return '""';
  return words.map((w) => `"${w}"`).join(' ');
}

/** How many of the newest matching lines each try reads before the whole index (see listRuns). */
const FTS_WINDOWS = [20_000, 80_000, 320_000];
const RUN_SHIFT = 4294967296;

/**
 * Runs with a log line that matches, as a WHERE clause and its arguments.
 * With `window`, only the newest matching lines count (below `before`'s run):
 * as a line's rowid starts with its run id, they belong to the newest matching runs.
 */
function logSearchClause(q: string, how: LogSearch, before: number | undefined, window?: number): [string, (string | number)[]] {
  if (how === 'like') return ["EXISTS (SELECT 1 FROM run_logs l WHERE l.run_id = r.id AND l.text LIKE ? ESCAPE '\\')", [`%${q.replace(/[\\%_]/g, '\\$&')}%`]];
  const below = before ? ' AND rowid < ?' : '';
  const args: (string | number)[] = [ftsQuery(q), ...(before ? [before * RUN_SHIFT] : [])];
  if (!window) return [`r.id IN (SELECT rowid >> 32 FROM run_logs_fts WHERE run_logs_fts MATCH ?${below})`, args];
  return [`r.id IN (SELECT rowid >> 32 FROM run_logs_fts WHERE run_logs_fts MATCH ?${below} ORDER BY rowid DESC LIMIT ?)`, [...args, window]];
}

/**
 * Runs by the filters, newest first. A log search first reads only the newest
 * matching lines, in growing windows: a word in every line would otherwise
 * read the whole index (bench/log-search.ts). As soon as a window holds a full
 * page of runs that pass the other filters, that is the right page; else the
 * whole index is asked.
 */
export async function listRuns(ex: Executor, f: RunFilter = {}, how: LogSearch = 'fts'): Promise<{ runs: RunView[]; more: boolean }> {
  const limit = Math.min(Math.max(f.limit ?? 50, 1), 500);
  const q = f.q?.trim();
  if (q && how === 'fts') {
    for (const window of FTS_WINDOWS) {
      const tried = await selectRuns(ex, f, limit, logSearchClause(q, how, f.before, window));
      if (tried.more) return tried;
    }
  }
  return selectRuns(ex, f, limit, q ? logSearchClause(q, how, f.before) : undefined);
}

async function selectRuns(ex: Executor, f: RunFilter, limit: number, search: [string, (string | number)[]] | undefined) {
  const where: string[] = [];
  const args: (string | number)[] = [];
  const add = (clause: string, v: string | number | undefined) => {
    if (v === undefined || v === '') return;
    where.push(clause);
    args.push(v);
  };
  add('r.page_slug = ?', f.page);
  add('r.button_name = ?', f.button);
  add('r.state = ?', f.state);
  add('r.requested_by = ?', f.user);
  add('r.id < ?', f.before);
  add('r.created_at >= ?', f.from);
  add('r.created_at < ?', f.to);
  if (search) {
    where.push(search[0]);
    args.push(...search[1]);
  }
  if (f.pages) {
    where.push(f.pages.length ? `r.page_slug IN (${f.pages.map(() => '?').join(',')})` : '0');
    args.push(...f.pages);
  }
  const { rows } = await ex.execute({
    sql: `SELECT ${RUN_COLUMNS} FROM runs r ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY r.id DESC LIMIT ?`,
    args: [...args, limit + 1],
  });
  return { runs: rows.slice(0, limit).map((r) => toView(r as Record<string, unknown>)), more: rows.length > limit };
}

/** The latest run of each button of a page. */
export async function latestRuns(ex: Executor, page: string): Promise<Map<string, RunView>> {
  const { rows } = await ex.execute({
    sql: `SELECT ${RUN_COLUMNS} FROM runs r WHERE r.id IN (SELECT max(id) FROM runs WHERE page_slug = ? GROUP BY button_name)`,
    args: [page],
  });
  return new Map(rows.map((r) => [String(r.button_name), toView(r as Record<string, unknown>)]));
}
