/**
 * A button's inputs and runs_on: labels on a real database: the inputs are
 * checked before anything starts, kept with the run, handed to the runner with
 * the page's values and used again by a re-run; a run that needs labels is
 * claimed only by a runner with all of them, oldest first among those it may take.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { runJson } from '../../src/server/runs/json.ts';
import { claimNext, insertRun } from '../../src/server/runs/queue.ts';
import { getRun, listRuns } from '../../src/server/runs/read.ts';
import { InputsRefused, rerun, startRun } from '../../src/server/runs/service.ts';
import { touchRunner, waitingForRunner } from '../../src/server/runners.ts';
import type { Viewer } from '../../src/server/auth/access.ts';
import { addRunner, localApp, type LocalApp } from '../helpers/in-process.ts';

const button = (name: string, extra = '') => `
      - name: ${name}
        label: ${name}
        script_path: scripts/${name}.sh
        status_file: app_data/status/${name}.json
        report_path: app_data/reports/${name}.html
${extra}`;

const CONFIG = `toplevel_title: T
pages:
  - slug: ops
    title: Ops
    parameters:
      - {name: target, type: text, default: prod}
    buttons:
${button('deploy', `        inputs:
          - {name: ticket, type: text, required: true, max_length: 10}
          - {name: count, type: integer, min: 1, max: 5, default: 2}
          - {name: dry, type: boolean}
          - {name: level, type: select, options: [low, high]}`)}
${button('on_db', '        runs_on: [host=db-1]')}
${button('on_gpu_db', '        runs_on: [gpu, host=db-1]')}
${button('plain')}`;

let t: LocalApp;
let op: Viewer;
beforeEach(async () => {
  t = await localApp(CONFIG);
  op = await t.as('operator');
});
afterEach(() => t.close());

const refusal = (p: Promise<unknown>) => p.then(() => expect.fail('expected a refusal'), (e: unknown) => {
  expect(e).toBeInstanceOf(InputsRefused);
  return (e as InputsRefused).result.errors;
});

describe('button inputs', () => {
  it('are checked, kept with the run, and reach the runner as parameters do', async () => {
    const run = await startRun(t.app, 'ops', 'deploy', op, { json: { ticket: 'OPS-1', level: 'high' } });
    expect(run.inputs).toEqual({ ticket: 'OPS-1', count: 2, dry: false, level: 'high' });
    expect(run.params).toEqual({ target: 'prod' });
    expect(runJson(run)).toMatchObject({ inputs: run.inputs, params: { target: 'prod' }, runs_on: null });
    const { rows } = await t.app.db.execute({ sql: "SELECT detail FROM audit_log WHERE action = 'run_started'", args: [] });
    expect(JSON.parse(String(rows[0]!.detail))).toMatchObject({ run: run.id, inputs: run.inputs });
    const { runner } = await addRunner({ app: t.app, user: op.user!, close: () => {} });
    const claimed = await claimNext(t.app.db, t.app.runs, runner);
    expect(claimed).toMatchObject({ id: run.id, params: { target: 'prod', ticket: 'OPS-1', count: 2, dry: false, level: 'high' } });
  });

  it('from a form are read as the page form is', async () => {
    const form: Record<string, string> = { ticket: 'OPS-2', count: ' 4 ', dry: 'on', level: '' };
    const run = await startRun(t.app, 'ops', 'deploy', op, { form: (n) => form[n] });
    expect(run.inputs).toEqual({ ticket: 'OPS-2', count: 4, dry: true, level: null });
  });

  it('that do not pass start nothing and say why, per input', async () => {
    expect(await refusal(startRun(t.app, 'ops', 'deploy', op, { json: { count: 9, level: 'mid', extra: 1 } }))).toEqual({
      extra: 'not an input of this button (it has ticket, count, dry, level)',
      ticket: 'This field is required.',
      count: 'Must be at most 5 (got 9)',
      level: 'Choose one of: low, high (got "mid")',
    });
    expect(await refusal(startRun(t.app, 'ops', 'deploy', op, { json: { ticket: 'far too long a ticket' } }))).toHaveProperty('ticket');
    expect(await refusal(startRun(t.app, 'ops', 'deploy', op, { json: { ticket: 5 } }))).toEqual({ ticket: 'expected text, got 5 (put it in quotes)' });
    expect(await refusal(startRun(t.app, 'ops', 'plain', op, { json: { ticket: 'x' } }))).toEqual({ ticket: 'not an input: this button asks for none' });
    expect((await listRuns(t.app.db)).runs).toEqual([]);
  });

  it('are used again by a re-run', async () => {
    const first = await startRun(t.app, 'ops', 'deploy', op, { json: { ticket: 'OPS-3', count: 5, dry: true } });
    const again = await rerun(t.app, first.id, op);
    expect(again).toMatchObject({ rerunOf: first.id, inputs: { ticket: 'OPS-3', count: 5, dry: true, level: null } });
  });

  it('of a scheduled run are the defaults', async () => {
    const live = await t.app.config.current();
    const page = live.config.pages[0]!;
    const id = await t.app.db.transaction(async (tx) => {
      const runId = await insertRun(tx, { page, button: page.buttons[0]!, values: {}, configRevision: live.revision, scheduledFor: Date.now() });
      await tx.commit();
      return runId;
    });
    expect((await getRun(t.app.db, id))!.inputs).toEqual({ ticket: null, count: 2, dry: false, level: null });
  });
});

describe('runs_on: runner labels', () => {
  const test = () => ({ app: t.app, user: op.user!, close: () => {} });

  it('a run waits for a runner with every label; the others take the oldest run they may', async () => {
    const onDb = await startRun(t.app, 'ops', 'on_db', op);
    const onBoth = await startRun(t.app, 'ops', 'on_gpu_db', op);
    const plain = await startRun(t.app, 'ops', 'plain', op);
    const plain2 = await startRun(t.app, 'ops', 'plain', op);
    expect(onDb.runsOn).toEqual(['host=db-1']);

    const { runner: bare } = await addRunner(test(), 'bare');
    const { runner: db } = await addRunner(test(), 'db');
    await touchRunner(t.app.db, db, { hostname: 'db-1', version: 'x', labels: ['host=db-1'] });
    const { runner: gpu } = await addRunner(test(), 'gpu');
    await touchRunner(t.app.db, gpu, { hostname: 'g', version: 'x', labels: ['gpu', 'host=db-1', 'extra'] });

    // Without labels: past the two labelled runs, to the oldest plain one.
    expect((await claimNext(t.app.db, t.app.runs, bare))?.id).toBe(plain.id);
    // host=db-1 alone: the first run, never the one that also needs gpu.
    expect((await claimNext(t.app.db, t.app.runs, db))?.id).toBe(onDb.id);
    expect((await claimNext(t.app.db, t.app.runs, db))?.id).toBe(plain2.id);
    expect(await claimNext(t.app.db, t.app.runs, db)).toBeUndefined();
    expect((await claimNext(t.app.db, t.app.runs, gpu))?.id).toBe(onBoth.id);
  });

  it('runners racing for runs they may all take get each one once', async () => {
    const ids = [];
    for (let i = 0; i < 6; i++) ids.push((await startRun(t.app, 'ops', i % 2 ? 'on_db' : 'plain', op)).id);
    const runners = [];
    for (const name of ['a', 'b', 'c']) {
      const { runner } = await addRunner(test(), name);
      await touchRunner(t.app.db, runner, { hostname: name, version: 'x', labels: ['host=db-1'] });
      runners.push(runner);
    }
    const claimed = await Promise.all([...runners, ...runners, ...runners].map((r) => claimNext(t.app.db, t.app.runs, r)));
    expect(claimed.filter((c) => c).map((c) => c!.id).sort((a, b) => a - b)).toEqual(ids);
  });

  it('the page and run page say so while no online runner has the labels', async () => {
    expect(await waitingForRunner(t.app.db, ['host=db-1'])).toBe('waiting: no runner with label host=db-1 is online');
    expect(await waitingForRunner(t.app.db, undefined)).toBeUndefined();
    const { runner } = await addRunner(test(), 'db');
    // Known but never seen: not online.
    expect(await waitingForRunner(t.app.db, ['host=db-1'])).toBeDefined();
    await touchRunner(t.app.db, runner, { hostname: 'db-1', version: 'x', labels: ['host=db-1'] });
    expect(await waitingForRunner(t.app.db, ['host=db-1'])).toBeUndefined();
    expect(await waitingForRunner(t.app.db, ['gpu', 'host=db-1'])).toBe('waiting: no runner with labels gpu, host=db-1 is online');
    // A claim without labels (a runner from before labels) clears them.
    await touchRunner(t.app.db, runner, { hostname: 'db-1', version: 'x' });
    expect(await waitingForRunner(t.app.db, ['host=db-1'])).toBeDefined();
  });
});
