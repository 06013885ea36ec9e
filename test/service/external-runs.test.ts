/**
 * Runs reported from outside, in process on a temporary database: created
 * running without a runner, log lines within the same bound as a runner's,
 * progress, the end with its notification event in the same transaction,
 * silence → lost, cancel in the answers, and refusals once a run is not open.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { LIMITS } from '../../src/protocol/index.ts';
import { appendExternalLog, createExternalRun, finishExternalRun, reportExternalProgress } from '../../src/server/runs/external.ts';
import { claimNext, requestCancel, sweepLost } from '../../src/server/runs/queue.ts';
import type { RunUpdate } from '../../src/server/runs/notify.ts';
import { getRun, runLog, runReport } from '../../src/server/runs/read.ts';
import { addRunner, inProcessApp, queueRun, type TestApp } from '../helpers/in-process.ts';

let t: TestApp;
beforeEach(async () => {
  t = await inProcessApp();
});
afterEach(() => t.close());

const LIMIT = { logMaxBytes: 1024 };

async function externalRun(silenceMs = 60_000) {
  const live = await t.app.config.current();
  const page = live.config.pages.find((p) => p.slug === 'database-backup')!;
  return createExternalRun(t.app.db, t.app.runs, { page, button: page.buttons[0]!, values: { mode: 'full' }, configRevision: live.revision, user: t.user, external: { silenceMs } });
}

const deadline = async (id: number) => Number((await t.app.db.execute({ sql: 'SELECT lease_expires_at FROM runs WHERE id = ?', args: [id] })).rows[0]!.lease_expires_at);
const events = async (id: number) =>
  (await t.app.db.execute({ sql: "SELECT type, data FROM notification_events WHERE type LIKE 'run.%' AND json_extract(data, '$.run.id') = ?", args: [id] })).rows.map((r) => ({ type: r.type, run: JSON.parse(String(r.data)).run }));

describe('an external run', () => {
  it('is created running, started, external, with no runner, and no runner can claim it', async () => {
    const run = await externalRun();
    expect(run).toMatchObject({ state: 'running', external: true, runner: null, requestedBy: 'olivia', params: { mode: 'full' } });
    expect(run.startedAt).toBe(run.createdAt);
    const { runner } = await addRunner(t);
    expect(await claimNext(t.app.db, t.app.runs, runner)).toBeUndefined();
    expect((await queueRun(t)).external).toBe(false);
  });

  it('stores log lines in order with their streams, cuts a long line like a runner does, and bounds the log with the one marker', async () => {
    const { id } = await externalRun();
    const first = await appendExternalLog(t.app.db, t.app.runs, id, [{ text: 'one', stream: 'stdout' }, { text: 'two ✓ "q"', stream: 'stderr' }], LIMIT);
    expect(first).toMatchObject({ ok: true, stored: 2, cancelRequested: false });
    await appendExternalLog(t.app.db, t.app.runs, id, [{ text: 'x'.repeat(LIMITS.lineBytes + 10), stream: 'stdout' }], { logMaxBytes: LIMITS.logBytesPerRun });
    const lines = await runLog(t.app.db, id);
    expect(lines.map((l) => [l.seq, l.stream, l.text.slice(0, 12)])).toEqual([[1, 'stdout', 'one'], [2, 'stderr', 'two ✓ "q"'], [3, 'stdout', 'xxxxxxxxxxxx']]);
    expect(lines[2]!.text.endsWith(` [line cut at ${LIMITS.lineBytes} bytes]`)).toBe(true);

    const bounded = await externalRun();
    await appendExternalLog(t.app.db, t.app.runs, bounded.id, Array.from({ length: 30 }, (_, i) => ({ text: `line ${i} ${'y'.repeat(50)}`, stream: 'stdout' as const })), LIMIT);
    await appendExternalLog(t.app.db, t.app.runs, bounded.id, [{ text: 'after the bound', stream: 'stdout' }], LIMIT);
    const kept = await runLog(t.app.db, bounded.id);
    expect(kept.at(-1)).toMatchObject({ stream: 'system', text: expect.stringMatching(/^\[switchyard\] log truncated: this run printed more than 1 KiB/) });
    expect(kept.map((l) => l.text)).not.toContain('after the bound');
    expect(await getRun(t.app.db, bounded.id)).toMatchObject({ logTruncated: true, logLines: kept.length });
  });

  it('renews its silence deadline with every report', async () => {
    const { id } = await externalRun(60_000);
    const before = await deadline(id);
    await t.app.db.write({ sql: 'UPDATE runs SET lease_expires_at = ? WHERE id = ?', args: [before - 50_000, id] });
    await reportExternalProgress(t.app.db, t.app.runs, id, 40, 'copying');
    expect(await deadline(id)).toBeGreaterThanOrEqual(before);
    expect(await getRun(t.app.db, id)).toMatchObject({ progress: 40, message: 'copying' });
  });

  it('finishes with its notification event in the same write, its report cut at the runner bound', async () => {
    const { id } = await externalRun();
    const updates: RunUpdate[] = [];
    const stop = t.app.runs.subscribe(id, (u) => updates.push(u));
    const big = 'r'.repeat(LIMITS.reportBytes + 5);
    const out = await finishExternalRun(t.app.db, t.app.runs, id, { state: 'failed', exitCode: 3, error: null, report: { type: 'text', body: big } });
    stop();
    expect(out).toMatchObject({ ok: true, run: { state: 'failed', exitCode: 3, external: true } });
    expect(updates.map((u) => u.type === 'run' && u.run.state)).toEqual(['failed']);
    const report = (await runReport(t.app.db, id))!;
    expect(report).toMatchObject({ type: 'text', truncated: true });
    expect(report.body.length).toBe(LIMITS.reportBytes);
    expect(await events(id)).toEqual([{ type: 'run.failed', run: expect.objectContaining({ id, state: 'failed', external: true, runner: null, exit_code: 3 }) }]);
  });

  it('refuses reports once ended, and on a run a runner reports', async () => {
    const { id } = await externalRun();
    await finishExternalRun(t.app.db, t.app.runs, id, { state: 'succeeded', exitCode: 0, error: null, report: null });
    for (const out of [
      await appendExternalLog(t.app.db, t.app.runs, id, [{ text: 'late', stream: 'stdout' }], LIMIT),
      await reportExternalProgress(t.app.db, t.app.runs, id, 50, null),
      await finishExternalRun(t.app.db, t.app.runs, id, { state: 'failed', exitCode: 1, error: null, report: null }),
    ]) expect(out).toEqual({ ok: false, reason: `Run ${id} has already ended (succeeded); nothing more can be reported.` });
    expect(await getRun(t.app.db, id)).toMatchObject({ state: 'succeeded', progress: 100, logLines: 0 });
    const queued = await queueRun(t);
    expect(await reportExternalProgress(t.app.db, t.app.runs, queued.id, 50, null)).toEqual({ ok: false, reason: expect.stringMatching(/was not reported from outside/) });
  });

  it('tells the pipeline of a cancel in every answer, and may then end cancelled', async () => {
    const { id } = await externalRun();
    expect(await requestCancel(t.app.db, t.app.runs, id, 'olivia')).toMatchObject({ ok: true, run: { state: 'running', cancelRequestedBy: 'olivia' } });
    expect(await appendExternalLog(t.app.db, t.app.runs, id, [], LIMIT)).toMatchObject({ ok: true, cancelRequested: true });
    expect(await reportExternalProgress(t.app.db, t.app.runs, id, 10, 'stopping')).toMatchObject({ ok: true, cancelRequested: true });
    expect(await finishExternalRun(t.app.db, t.app.runs, id, { state: 'cancelled', exitCode: null, error: null, report: null })).toMatchObject({ ok: true, run: { state: 'cancelled' } });
    expect((await events(id)).map((e) => e.type)).toEqual(['run.cancelled']);
  });
});

describe('sweeping external runs', () => {
  it('declares a silent one lost, saying the pipeline stopped reporting and when it last did, and leaves one that reported', async () => {
    const silent = await externalRun(10_000);
    const heard = await externalRun(10_000);
    const later = Date.now() + 11_000;
    await t.app.db.write({ sql: 'UPDATE runs SET lease_expires_at = ? WHERE id = ?', args: [later + 10_000, heard.id] });
    expect(await sweepLost(t.app.db, t.app.runs, later)).toEqual([silent.id]);
    const lost = (await getRun(t.app.db, silent.id))!;
    expect(lost.state).toBe('lost');
    expect(lost.error).toMatch(/^the pipeline reporting it stopped reporting; last heard from at \d{4}-\d\d-\d\dT/);
    // Last heard: its creation, which set the deadline (to the second; strftime keeps milliseconds).
    expect(Math.abs(Date.parse(lost.error!.slice(-24)) - Date.parse(silent.createdAt))).toBeLessThan(5);
    expect((await getRun(t.app.db, heard.id))!.state).toBe('running');
    expect((await events(silent.id)).map((e) => e.type)).toEqual(['run.lost']);
  });
});
