/** The run read model in process: a run as pages and the API see it, lists and their filters, logs and reports. */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { runJson } from '../../src/server/runs/json.ts';
import { finishRun, recordEvents } from '../../src/server/runs/lease.ts';
import { claimNext, forgetRunsIn, requestCancel } from '../../src/server/runs/queue.ts';
import { getRun, latestRuns, listRuns, logTail, runLog, runReport } from '../../src/server/runs/read.ts';
import { addRunner, inProcessApp, queueRun, type TestApp } from '../helpers/in-process.ts';

let t: TestApp;
beforeEach(async () => {
  t = await inProcessApp();
});
afterEach(() => t.close());

const now = () => new Date().toISOString();

/** A run that printed `lines` lines and succeeded with a text report. */
let runners = 0;
async function finishedRun(lines: number) {
  const { runner } = await addRunner(t, `r${++runners}`);
  const { id } = await queueRun(t);
  const { lease } = (await claimNext(t.app.db, t.app.runs, runner))!;
  const events = Array.from({ length: lines }, (_, i) => ({ seq: i + 1, type: 'log' as const, at: now(), stream: 'stdout' as const, text: `line ${i + 1}` }));
  await recordEvents(t.app.db, t.app.runs, runner, id, { lease, events });
  const report = { type: 'text' as const, body: 'all done', truncated: false };
  await finishRun(t.app.db, t.app.runs, runner, id, { lease, state: 'succeeded', exit_code: 0, signal: null, finished_at: now(), error: null, report });
  return id;
}

describe('a run', () => {
  it('reads as its view and as the JSON the API and the live stream send', async () => {
    const id = await finishedRun(3);
    const run = (await getRun(t.app.db, id))!;
    expect(run).toMatchObject({ id, page: 'database-backup', button: 'run_backup', state: 'succeeded', requestedBy: 'olivia', params: { mode: 'full' }, logLines: 3, reportType: 'text', rerunOf: null });
    expect(runJson(run)).toMatchObject({
      id, state: 'succeeded', exit_code: 0, progress: 100, requested_by: 'olivia', params: { mode: 'full' },
      log: { lines: 3, bytes: run.logBytes, truncated: false }, report: { type: 'text', truncated: false },
    });
    expect(Object.keys(runJson(run))).not.toContain('lease');
    expect(await getRun(t.app.db, 999)).toBeUndefined();
  });

  it('gives its log in pages, its last lines in order, and its report', async () => {
    const id = await finishedRun(7);
    expect((await runLog(t.app.db, id, 2, 3)).map((l) => l.seq)).toEqual([3, 4, 5]);
    expect((await logTail(t.app.db, id, 3)).map((l) => l.text)).toEqual(['line 5', 'line 6', 'line 7']);
    expect(await runReport(t.app.db, id)).toEqual({ type: 'text', body: 'all done', truncated: false });
    const { id: none } = await queueRun(t);
    expect(await runReport(t.app.db, none)).toBeUndefined();
  });
});

describe('lists of runs', () => {
  it('filters by page, state, user and visible pages, newest first, in pages of `limit`', async () => {
    const a = await queueRun(t);
    const b = await queueRun(t, 'data-processing', 'start_processing');
    const c = await queueRun(t);
    await requestCancel(t.app.db, t.app.runs, c.id, 'olivia');
    const ids = async (f: Parameters<typeof listRuns>[1]) => (await listRuns(t.app.db, f)).runs.map((r) => r.id);
    expect(await ids({})).toEqual([c.id, b.id, a.id]);
    expect(await ids({ page: 'database-backup' })).toEqual([c.id, a.id]);
    expect(await ids({ state: 'cancelled' })).toEqual([c.id]);
    expect(await ids({ user: 'nobody' })).toEqual([]);
    expect(await ids({ pages: ['data-processing'] })).toEqual([b.id]);
    expect(await ids({ pages: [] })).toEqual([]);
    expect(await listRuns(t.app.db, { limit: 2 })).toMatchObject({ more: true, runs: [{ id: c.id }, { id: b.id }] });
    expect(await ids({ before: b.id })).toEqual([a.id]);
  });

  it('has the latest run of each button of a page', async () => {
    await queueRun(t);
    const latest = await queueRun(t);
    await queueRun(t, 'data-processing', 'start_processing');
    const map = await latestRuns(t.app.db, 'database-backup');
    expect([...map.keys()]).toEqual(['run_backup']);
    expect(map.get('run_backup')!.id).toBe(latest.id);
  });
});

describe('searching runs', () => {
  it('finds runs by whole words of their log, newest first, and forgets them with their lines', async () => {
    const a = await finishedRun(3);
    const b = await finishedRun(5);
    const ids = async (f: Parameters<typeof listRuns>[1]) => (await listRuns(t.app.db, f)).runs.map((r) => r.id);
    expect(await ids({ q: 'line' })).toEqual([b, a]);
    expect(await ids({ q: 'line 5' })).toEqual([b]);
    expect(await ids({ q: 'lin' })).toEqual([]);
    expect(await ids({ q: '"line* ' })).toEqual([b, a]);
    expect(await ids({ q: 'line OR NEAR(' })).toEqual([]);
    expect(await ids({ q: '*** ' })).toEqual([]);
    expect(await ids({ q: 'line', before: b })).toEqual([a]);
    // The same answers from the LIKE baseline the bench compares with (it also finds parts of words).
    expect((await listRuns(t.app.db, { q: 'line 5' }, 'like')).runs.map((r) => r.id)).toEqual([b]);
    await t.app.db.transaction(async (tx) => {
      await forgetRunsIn(tx, [b]);
      await tx.commit();
    });
    expect(await ids({ q: 'line 5' })).toEqual([]);
    const left = await t.app.db.execute(`SELECT count(*) AS n FROM run_logs_fts WHERE run_logs_fts MATCH '"line"'`);
    expect(Number(left.rows[0]!.n)).toBe(3);
  });

  it('takes a date range of when the run was queued', async () => {
    const { id } = await queueRun(t);
    const ids = async (f: Parameters<typeof listRuns>[1]) => (await listRuns(t.app.db, f)).runs.map((r) => r.id);
    const today = new Date().toISOString().slice(0, 10);
    expect(await ids({ from: `${today}T00:00:00.000Z` })).toEqual([id]);
    expect(await ids({ to: `${today}T00:00:00.000Z` })).toEqual([]);
    expect(await ids({ from: '2000-01-01T00:00:00.000Z', to: '2000-01-02T00:00:00.000Z' })).toEqual([]);
  });
});
