/**
 * The run queue in process, on a temporary database: claiming, the lease,
 * events stored once, the log bound, finishing, cancelling and sweeping —
 * the edge cases the HTTP tests reach only through a built server and real
 * runners.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { EventsRequest, FinishRequest } from '../../src/protocol/index.ts';
import { runnerClock } from '../../src/server/runs/clock.ts';
import { finishRun, recordEvents } from '../../src/server/runs/lease.ts';
import type { RunUpdate } from '../../src/server/runs/notify.ts';
import { claimNext, createRun, DEFAULT_RUN_LIMITS, requestCancel, sweepLost } from '../../src/server/runs/queue.ts';
import { getRun, listRuns, runLog } from '../../src/server/runs/read.ts';
import { addRunner, inProcessApp, queueRun, type TestApp } from '../helpers/in-process.ts';

let t: TestApp;
beforeEach(async () => {
  t = await inProcessApp();
});
afterEach(() => t.close());

const at = (ms = Date.now()) => new Date(ms).toISOString();
const log = (seq: number, text: string) => ({ seq, type: 'log' as const, at: at(), stream: 'stdout' as const, text });
const events = (lease: string, ...list: EventsRequest['events']): EventsRequest => ({ lease, events: list });
const finish = (lease: string, over: Partial<FinishRequest> = {}): FinishRequest => ({
  lease, state: 'succeeded', exit_code: 0, signal: null, finished_at: at(), error: null, report: null, ...over,
});

describe('claiming', () => {
  it('hands out the oldest queued run, each run once, and nothing when none waits', async () => {
    const { runner } = await addRunner(t);
    const first = await queueRun(t);
    const second = await queueRun(t, 'data-processing', 'start_processing');
    const [a, b, c] = await Promise.all([claimNext(t.app.db, t.app.runs, runner), claimNext(t.app.db, t.app.runs, runner), claimNext(t.app.db, t.app.runs, runner)]);
    const claimed = [a, b, c].filter((x) => x !== undefined);
    expect(claimed.map((x) => x.id).sort()).toEqual([first.id, second.id]);
    expect(await claimNext(t.app.db, t.app.runs, runner)).toBeUndefined();
    const one = claimed.find((x) => x.id === first.id)!;
    expect(one).toMatchObject({ page: 'database-backup', button: 'run_backup', script_path: 'scripts/backup/start.sh', params: { mode: 'full' }, timeout_ms: null });
    expect(one.lease.length).toBeGreaterThanOrEqual(16);
    expect(await getRun(t.app.db, first.id)).toMatchObject({ state: 'running', runner: 'r1' });
  });

  it('records nothing of a run whose audit entry fails: both hold or neither does', async () => {
    const live = await t.app.config.current();
    const page = live.config.pages.find((p) => p.slug === 'database-backup')!;
    const req = { page, button: page.buttons[0]!, values: {}, configRevision: live.revision, user: t.user };
    await expect(createRun(t.app.db, t.app.runs, req, async () => Promise.reject(new Error('audit failed')))).rejects.toThrow('audit failed');
    expect((await listRuns(t.app.db)).runs).toEqual([]);
  });
});

describe('events under the lease', () => {
  it('stores each event once, in order, even when a batch is resent or arrives out of order', async () => {
    const { runner } = await addRunner(t);
    const { id } = await queueRun(t);
    const { lease } = (await claimNext(t.app.db, t.app.runs, runner))!;
    expect(await recordEvents(t.app.db, t.app.runs, runner, id, events(lease, log(2, 'two'), log(1, 'one')))).toEqual({ ok: true, ack: 2, cancel: false });
    // The answer was lost: the runner sends the same lines again with a new one.
    expect(await recordEvents(t.app.db, t.app.runs, runner, id, events(lease, log(1, 'one'), log(2, 'two'), log(3, 'three')))).toEqual({ ok: true, ack: 3, cancel: false });
    expect((await runLog(t.app.db, id)).map((l) => l.text)).toEqual(['one', 'two', 'three']);
    expect(await getRun(t.app.db, id)).toMatchObject({ logLines: 3, lastSeq: 3 });
  });

  it('keeps progress and the start on the run, never starting before the claim', async () => {
    const { runner } = await addRunner(t);
    const { id } = await queueRun(t);
    const { lease } = (await claimNext(t.app.db, t.app.runs, runner))!;
    await recordEvents(t.app.db, t.app.runs, runner, id, events(lease,
      { seq: 1, type: 'started', at: at(Date.now() - 60_000), pid: 42 },
      { seq: 2, type: 'progress', at: at(), progress: 40, message: 'copying' },
    ));
    const run = (await getRun(t.app.db, id))!;
    expect(run).toMatchObject({ progress: 40, message: 'copying', logLines: 0, lastSeq: 2 });
    expect(run.startedAt).toBe(run.claimedAt);
  });

  it('refuses a wrong lease, another runner, and a run that has ended', async () => {
    const { runner } = await addRunner(t);
    const { runner: other } = await addRunner(t, 'r2');
    const { id } = await queueRun(t);
    const { lease } = (await claimNext(t.app.db, t.app.runs, runner))!;
    expect(await recordEvents(t.app.db, t.app.runs, runner, id, events('x'.repeat(32)))).toEqual({ ok: false, reason: `run ${id} is not leased to this runner` });
    expect(await recordEvents(t.app.db, t.app.runs, other, id, events(lease))).toEqual({ ok: false, reason: `run ${id} is not leased to this runner` });
    expect(await recordEvents(t.app.db, t.app.runs, runner, 999, events(lease))).toEqual({ ok: false, reason: 'run 999 does not exist' });
    expect(await finishRun(t.app.db, t.app.runs, runner, id, finish(lease))).toEqual({ ok: true });
    expect(await recordEvents(t.app.db, t.app.runs, runner, id, events(lease, log(1, 'late')))).toEqual({ ok: false, reason: `run ${id} is not leased to this runner` });
    expect(await finishRun(t.app.db, t.app.runs, runner, id, finish(lease, { state: 'failed' }))).toMatchObject({ ok: false });
    expect(await getRun(t.app.db, id)).toMatchObject({ state: 'succeeded', progress: 100, exitCode: 0 });
  });

  it('bounds the log with one visible marker and drops what follows', async () => {
    const { runner } = await addRunner(t);
    const { id } = await queueRun(t);
    const limits = { ...DEFAULT_RUN_LIMITS, logMaxBytes: 1024 };
    const { lease } = (await claimNext(t.app.db, t.app.runs, runner, limits))!;
    const lines = Array.from({ length: 40 }, (_, i) => log(i + 1, `line ${i + 1} `.padEnd(60, '.')));
    expect(await recordEvents(t.app.db, t.app.runs, runner, id, events(lease, ...lines), limits)).toMatchObject({ ok: true, ack: 40 });
    const stored = await runLog(t.app.db, id);
    expect(stored.at(-1)).toMatchObject({ stream: 'system', text: '[switchyard] log truncated: this run printed more than 1 KiB; later output is not kept' });
    expect(stored.length).toBeLessThan(20);
    expect(await getRun(t.app.db, id)).toMatchObject({ logTruncated: true, logLines: stored.length });
  });

  it('moves the runner’s timestamps onto the app clock, never past the moment they arrived', () => {
    const appNow = Date.parse('2026-01-01T12:00:00.000Z');
    const ahead = runnerClock('2026-01-01T12:10:00.000Z', appNow);
    expect(ahead('2026-01-01T12:09:00.000Z')).toBe('2026-01-01T11:59:00.000Z');
    expect(ahead('2026-01-01T12:30:00.000Z')).toBe('2026-01-01T12:00:00.000Z');
    expect(runnerClock(null, appNow)('2020-01-01T00:00:00.000Z')).toBe('2026-01-01T12:00:00.000Z');
  });
});

describe('cancelling', () => {
  it('cancels a queued run at once, so no runner gets it', async () => {
    const { runner } = await addRunner(t);
    const { id } = await queueRun(t);
    const out = await requestCancel(t.app.db, t.app.runs, id, 'olivia');
    expect(out).toMatchObject({ ok: true, run: { state: 'cancelled', cancelRequestedBy: 'olivia', message: 'Cancelled by olivia before a runner picked it up' } });
    expect(await claimNext(t.app.db, t.app.runs, runner)).toBeUndefined();
  });

  it('asks the runner of a running run, in the answer to its next events, and keeps the first asker', async () => {
    const { runner } = await addRunner(t);
    const { id } = await queueRun(t);
    const { lease } = (await claimNext(t.app.db, t.app.runs, runner))!;
    expect(await requestCancel(t.app.db, t.app.runs, id, 'olivia')).toMatchObject({ ok: true, run: { state: 'running' } });
    expect(await requestCancel(t.app.db, t.app.runs, id, 'someone')).toMatchObject({ ok: true, run: { cancelRequestedBy: 'olivia' } });
    expect(await recordEvents(t.app.db, t.app.runs, runner, id, events(lease))).toEqual({ ok: true, ack: 0, cancel: true });
    await finishRun(t.app.db, t.app.runs, runner, id, finish(lease, { state: 'cancelled', exit_code: null, signal: 'SIGTERM' }));
    expect(await requestCancel(t.app.db, t.app.runs, id, 'olivia')).toEqual({ ok: false, state: 'cancelled' });
    expect(await requestCancel(t.app.db, t.app.runs, 999, 'olivia')).toEqual({ ok: false, state: 'gone' });
  });
});

describe('sweeping', () => {
  it('declares lost only running runs whose lease lapsed, naming the runner and when it was last heard', async () => {
    const { runner } = await addRunner(t);
    const leaseMs = 5000;
    const limits = { ...DEFAULT_RUN_LIMITS, leaseMs };
    const silent = await queueRun(t);
    const heard = await queueRun(t);
    const waiting = await queueRun(t);
    const claimedAt = Date.now();
    await claimNext(t.app.db, t.app.runs, runner, limits);
    const { lease } = (await claimNext(t.app.db, t.app.runs, runner, limits))!;
    expect(await sweepLost(t.app.db, t.app.runs, Date.now(), leaseMs)).toEqual([]);
    // The second run's runner calls in later, which renews its lease past the sweep.
    const later = claimedAt + leaseMs + 1000;
    await t.app.db.write({ sql: 'UPDATE runs SET lease_expires_at = ? WHERE id = ?', args: [later + leaseMs, heard.id] });
    expect(await sweepLost(t.app.db, t.app.runs, later, leaseMs)).toEqual([silent.id]);
    const lost = (await getRun(t.app.db, silent.id))!;
    expect(lost.state).toBe('lost');
    expect(lost.error).toMatch(/^runner r1 stopped answering; last heard from at \d{4}-\d\d-\d\dT/);
    expect((await getRun(t.app.db, heard.id))!.state).toBe('running');
    expect((await getRun(t.app.db, waiting.id))!.state).toBe('queued');
    expect(await recordEvents(t.app.db, t.app.runs, runner, heard.id, events(lease))).toMatchObject({ ok: true });
  });
});

describe('signals', () => {
  it('wakes a waiting claim when a run is queued, and tells a run’s live views of its changes and lines', async () => {
    const { runner } = await addRunner(t);
    const started = Date.now();
    const woken = t.app.runs.waitForQueued(10_000);
    const { id } = await queueRun(t);
    await woken;
    expect(Date.now() - started).toBeLessThan(5000);
    const updates: RunUpdate[] = [];
    const stop = t.app.runs.subscribe(id, (u) => updates.push(u));
    const { lease } = (await claimNext(t.app.db, t.app.runs, runner))!;
    await recordEvents(t.app.db, t.app.runs, runner, id, events(lease, log(1, 'hello')));
    await finishRun(t.app.db, t.app.runs, runner, id, finish(lease));
    stop();
    expect(updates.map((u) => (u.type === 'run' ? u.run.state : u.lines.map((l) => l.text).join()))).toEqual(['running', 'hello', 'succeeded']);
  });
});
