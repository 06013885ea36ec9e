/**
 * What a script learns about its run and gives back, with the real built
 * server and a real runner: who started it (name, role, language) in its
 * environment, and the figures it writes to SWITCHYARD_METRICS_FILE, kept with
 * the run (a line that is not `name number` is named in the log instead).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Client, postJson } from '../helpers/client.ts';
import { ended, waitForRun } from '../helpers/runs.ts';
import { startRunner, type TestRunner } from '../helpers/runner.ts';
import { startServer, type TestServer } from '../helpers/server.ts';

const CONFIG = `toplevel_title: Context
pages:
  - slug: jobs
    title: Jobs
    buttons:
      - name: count
        label: Count
        script_path: scripts/count.sh
        status_file: app_data/status/count.json
        report_path: app_data/reports/count.log
        metrics:
          - {name: rows, label: Rows, unit: count}
`;

const SCRIPT = `#!/usr/bin/env bash
set -euo pipefail
. "$SWITCHYARD_LIB/switchyard.sh"
echo "by=$SWITCHYARD_STARTED_BY role=$SWITCHYARD_STARTED_BY_ROLE language=$SWITCHYARD_LANGUAGE"
sy_metric rows 10
sy_metric seconds_waited 1.5
sy_metric rows 249
echo "Rows: many" >> "$SWITCHYARD_METRICS_FILE"
`;

type Run = { id: number; state: string; metrics: Record<string, number> };

describe("a run's context and figures", () => {
  let server: TestServer;
  let runner: TestRunner;

  beforeAll(async () => {
    server = await startServer({ config: CONFIG, files: { 'scripts/count.sh': SCRIPT }, users: [{ name: 'olga', role: 'operator', password: 'olga-password' }] });
    runner = await startRunner(server, 'context');
  }, 60_000);
  afterAll(async () => {
    await runner?.stop();
    await server?.stop();
  });

  it('tells the script who started it, and keeps the figures it gave', async () => {
    const c = new Client(server.url);
    await c.login('olga', 'olga-password');
    // Olga reads the app in Italian.
    expect((await c.submit('/account', { action: 'set-language', language: 'it' })).status).toBeLessThan(400);
    const res = await postJson(c, '/page/jobs/run/count');
    expect(res.status).toBe(201);
    const run = await waitForRun<Run>(c, ((await res.json()) as { id: number }).id, ended);
    expect(run.state).toBe('succeeded');
    // The later line for a name wins; a line that is no figure is said in the log.
    expect(run.metrics).toEqual({ rows: 249, seconds_waited: 1.5 });
    const log = await (await c.get(`/runs/${run.id}/log`)).text();
    expect(log).toContain('by=olga role=operator language=it');
    expect(log).toContain('metrics line not kept (write "name number", name in a-z 0-9 _): Rows: many');
    // The run page shows them: a charted one by its label and unit, the other by its name.
    const page = await (await c.get(`/runs/${run.id}`)).text();
    expect(page).toMatch(/<dt[^>]*>Rows<\/dt><dd[^>]*>249<\/dd>/);
    expect(page).toMatch(/<dt[^>]*>seconds_waited<\/dt><dd[^>]*>1,5<\/dd>/);
  });
});
