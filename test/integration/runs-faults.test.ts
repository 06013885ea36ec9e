/**
 * Runs when things go wrong: a runner killed mid-run, the app restarted
 * mid-run, runners competing for the queue, scripts that print too much.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Client, postJson } from '../helpers/client.ts';
import { startRunner } from '../helpers/runner.ts';
import { FINAL, waitForRun } from '../helpers/runs.ts';
import { startServer } from '../helpers/server.ts';

const CONFIG = `toplevel_title: Faults
pages:
  - slug: jobs
    title: Jobs
    buttons:
      - {name: lines, label: Lines, script_path: scripts/lines.sh, status_file: app_data/status/lines.json, report_path: app_data/reports/lines.log}
      - {name: quick, label: Quick, script_path: scripts/quick.sh, status_file: app_data/status/quick.json, report_path: app_data/reports/quick.log}
      - {name: long, label: Long line, script_path: scripts/long.sh, status_file: app_data/status/long.json, report_path: app_data/reports/long.log}
`;
const SCRIPTS = {
  // No pause: no sleep process per line either, which on a loaded machine costs more than the test's time.
  'scripts/lines.sh': '#!/usr/bin/env bash\nfor i in $(seq 1 ${LINES_COUNT:-300}); do echo "line $i"; [ "${LINES_PAUSE:-0.01}" = 0 ] || sleep ${LINES_PAUSE:-0.01}; done\n',
  'scripts/quick.sh': '#!/usr/bin/env bash\necho "$SWITCHYARD_RUN_ID" >> "$SWITCHYARD_DATA_DIR/executed.log"\n',
  'scripts/long.sh': '#!/usr/bin/env bash\nhead -c 20000 /dev/zero | tr "\\0" x\necho\necho after\n',
};
const USERS = [{ name: 'olga', role: 'operator' as const, password: 'olga-password' }];
type Run = { id: number; state: string; error: string | null; log: { lines: number; bytes: number; truncated: boolean } };
const waitFor = (c: Client, id: number, check: (r: Run) => boolean, ms?: number) => waitForRun<Run>(c, id, check, ms);
const start = async (c: Client, button: string) => ((await (await postJson(c, `/page/jobs/run/${button}`)).json()) as { id: number }).id;

describe('faults', () => {
  it('marks a run lost, visibly, when its runner dies mid-run', async () => {
    const server = await startServer({ config: CONFIG, files: SCRIPTS, users: USERS, env: { SWITCHYARD_RUN_LEASE_MS: '4000' } });
    try {
      const runner = await startRunner(server, 'doomed', { LINES_COUNT: '600', LINES_PAUSE: '0.05' });
      const c = new Client(server.url);
      await c.login('olga', 'olga-password');
      const id = await start(c, 'lines');
      await waitFor(c, id, (r) => r.state === 'running' && r.log.lines > 3);
      await runner.kill();
      const run = await waitFor(c, id, (r) => FINAL.includes(r.state), 10_000);
      expect(run.state).toBe('lost');
      expect(run.error).toMatch(/^runner doomed stopped answering; last heard from at \d{4}-\d\d-\d\dT/);
      expect(await (await c.get(`/runs/${id}`)).text()).toMatch(/data-state="lost"/);
      expect(server.output()).toContain(`Runs ${id} lost: their runner stopped answering.`);
    } finally {
      await server.stop();
    }
  });

  it('loses nothing when the app restarts mid-run, and stores no line twice', async () => {
    const server = await startServer({ config: CONFIG, files: SCRIPTS, users: USERS });
    const runner = await startRunner(server, 'steady', { LINES_COUNT: '400', LINES_PAUSE: '0.01' });
    try {
      const c = new Client(server.url);
      await c.login('olga', 'olga-password');
      const id = await start(c, 'lines');
      await waitFor(c, id, (r) => r.log.lines >= 80);
      await server.restart();
      const after = new Client(server.url);
      await after.login('olga', 'olga-password');
      const run = await waitFor(after, id, (r) => FINAL.includes(r.state));
      expect(run.state).toBe('succeeded');
      const log = await (await after.get(`/runs/${id}/log`)).text();
      const lines = log.split('\n').filter((l) => / stdout line \d+$/.test(l)).map((l) => l.replace(/^.* stdout /, ''));
      expect(lines).toEqual(Array.from({ length: 400 }, (_, i) => `line ${i + 1}`));
      const { rows } = await server.db().execute({ sql: 'SELECT count(*) AS n, count(DISTINCT seq) AS d FROM run_logs WHERE run_id = ?', args: [id] });
      expect(Number(rows[0]!.n)).toBe(Number(rows[0]!.d));
    } finally {
      await runner.stop();
      await server.stop();
    }
  });

  // Its own deadline for the runs is 60 s; the test's must be longer, or a slow machine fails it with no reason given.
  it('executes each of 200 queued runs exactly once with two runners competing', { timeout: 90_000 }, async () => {
    const server = await startServer({ config: CONFIG, files: SCRIPTS, users: USERS });
    try {
      const c = new Client(server.url);
      await c.login('olga', 'olga-password');
      const ids: number[] = [];
      for (let i = 0; i < 200; i++) ids.push(await start(c, 'quick'));
      const runners = await Promise.all([
        startRunner(server, 'left', { SWITCHYARD_RUNNER_SLOTS: '2' }),
        startRunner(server, 'right', { SWITCHYARD_RUNNER_SLOTS: '2' }),
      ]);
      try {
        const db = server.db();
        const deadline = Date.now() + 60_000;
        for (;;) {
          const { rows } = await db.execute(`SELECT count(*) AS n FROM runs WHERE state IN ('succeeded', 'failed', 'lost', 'cancelled', 'timed_out')`);
          if (Number(rows[0]!.n) === 200) break;
          if (Date.now() > deadline) throw new Error(`only ${rows[0]!.n} of 200 runs ended`);
          await new Promise((r) => setTimeout(r, 100));
        }
        const { rows: states } = await db.execute('SELECT state, count(*) AS n, max(error) AS error FROM runs GROUP BY state');
        expect(states.map((r) => [r.state, Number(r.n), r.error])).toEqual([['succeeded', 200, null]]);
        const executed = readFileSync(join(server.dataDir, 'executed.log'), 'utf8').trim().split('\n').map(Number);
        expect(executed.length).toBe(200);
        expect([...executed].sort((a, b) => a - b)).toEqual(ids);
        const { rows: byRunner } = await db.execute('SELECT (SELECT name FROM runners WHERE id = runner_id) AS name, count(*) AS n FROM runs GROUP BY runner_id ORDER BY name');
        expect(byRunner.map((r) => r.name)).toEqual(['left', 'right']);
        expect(byRunner.every((r) => Number(r.n) > 0)).toBe(true);
      } finally {
        await Promise.all(runners.map((r) => r.stop()));
      }
    } finally {
      await server.stop();
    }
  });

  it('bounds the log per run with a visible marker, and cuts overlong lines', async () => {
    const server = await startServer({ config: CONFIG, files: SCRIPTS, users: USERS, env: { SWITCHYARD_RUN_LOG_MAX_BYTES: '16384' } });
    const runner = await startRunner(server, 'chatty', { LINES_COUNT: '3000', LINES_PAUSE: '0' });
    try {
      const c = new Client(server.url);
      await c.login('olga', 'olga-password');
      const id = await start(c, 'lines');
      const run = await waitFor(c, id, (r) => FINAL.includes(r.state));
      expect(run.state).toBe('succeeded');
      expect(run.log.truncated).toBe(true);
      expect(run.log.bytes).toBeLessThan(16384 + 200);
      const log = (await (await c.get(`/runs/${id}/log`)).text()).trimEnd().split('\n');
      expect(log.at(-1)).toMatch(/ system \[switchyard\] log truncated: this run printed more than 16 KiB; later output is not kept$/);
      // Its event stream ends although the lines past the cap were never stored.
      const res = await fetch(`${server.url}/runs/${id}`, { headers: { cookie: c.cookieHeader(), accept: 'text/event-stream' }, signal: AbortSignal.timeout(8000) });
      const events = await res.text().catch(() => 'cut off: the stream did not end');
      expect(events.trimEnd().endsWith('event: end\ndata: {}')).toBe(true);

      const longId = await start(c, 'long');
      await waitFor(c, longId, (r) => FINAL.includes(r.state));
      const longLog = (await (await c.get(`/runs/${longId}/log`)).text()).split('\n');
      expect(longLog[0]).toMatch(new RegExp(` stdout x{8192} \\[line cut at 8192 bytes\\]$`));
      expect(longLog[1]).toMatch(/ stdout after$/);
    } finally {
      await runner.stop();
      await server.stop();
    }
  });
});
