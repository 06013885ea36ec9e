/**
 * The server runs with a small V8 heap (src/cli/node-flags.ts) to keep its
 * memory down. The largest bodies a legitimate client sends must still fit:
 * a 32 MiB form (the server-wide bound), and runners' batches of 2000 long log
 * lines with 5 MiB reports, from three runners at once, each 16 MiB log then
 * downloaded whole.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Client, postJson } from '../helpers/client.ts';
import { ended, waitForRun } from '../helpers/runs.ts';
import { startRunner, type TestRunner } from '../helpers/runner.ts';
import { EXAMPLE_CONFIG, startServer, type TestServer } from '../helpers/server.ts';

const MiB = 1024 * 1024;
// Three buttons, so that three runs go at once, each with its own report file.
const CONFIG = `${EXAMPLE_CONFIG}
  - slug: big
    title: Big output
    buttons:
${[1, 2, 3].map((i) => `      - {name: flood${i}, label: Flood ${i}, script_path: scripts/flood.sh, status_file: app_data/status/flood${i}.json, report_path: app_data/reports/flood${i}.log}`).join('\n')}
`;
// 2100 lines of 8 KiB (the longest kept) as fast as bash prints them: the runner sends them in
// batches of up to 2000 (about 16 MiB of JSON each), past the 16 MiB a run's log keeps; and a
// report just under the 5 MiB kept.
const FLOOD = `#!/usr/bin/env bash
for ((i = 1; i <= 2100; i++)); do printf '%08192d\\n' "$i"; done
head -c $((5 * 1024 * 1024 - 1024)) /dev/zero | tr '\\0' 'r' > "$SWITCHYARD_REPORT_PATH"
`;

let server: TestServer;
const runners: TestRunner[] = [];
let ed: Client;
beforeAll(async () => {
  server = await startServer({ config: CONFIG, files: { 'scripts/flood.sh': FLOOD }, users: [{ name: 'ed', role: 'editor', password: 'ed-password' }] });
  for (const i of [1, 2, 3]) runners.push(await startRunner(server, `big-${i}`));
  ed = new Client(server.url);
  await ed.login('ed', 'ed-password');
});
afterAll(async () => {
  await Promise.all(runners.map((r) => r.stop()));
  await server?.stop();
});

const alive = async () => {
  expect(server.output()).not.toMatch(/heap out of memory|allocation failed/i);
  expect((await fetch(`${server.url}/login`)).status).toBe(200);
};

describe('the largest legitimate bodies under the heap limit', () => {
  it('two 32 MiB imports at once are read and refused for their size, not crashed on', async () => {
    const importOnce = () => {
      const form = new FormData();
      // The whole multipart body stays just under the 32 MiB bound.
      form.set('file', new File([new Uint8Array(32 * MiB - 4096).fill(0x61)], 'huge.yaml', { type: 'text/yaml' }));
      return fetch(`${server.url}/page/toplevel/import`, { method: 'POST', body: form, headers: { cookie: ed.cookieHeader(), origin: server.url } });
    };
    for (const res of await Promise.all([importOnce(), importOnce()])) {
      expect(res.status).toBe(422);
      expect(await res.text()).toContain('larger than 256 KiB');
    }
    await alive();
  });

  it('three runs at once printing 16 MiB of long lines and a 5 MiB report each are stored, and their logs downloaded whole', { timeout: 120_000 }, async () => {
    const ids = await Promise.all(runners.map(async (_, i) => ((await (await postJson(ed, `/page/big/run/flood${i + 1}`)).json()) as { id: number }).id));
    for (const id of ids) {
      const run = await waitForRun(ed, id, ended, 90_000);
      expect(run.state).toBe('succeeded');
    }
    // Downloaded all at once too.
    await Promise.all(ids.map(async (id) => {
      const report = await ed.get(`/runs/${id}/report`);
      expect(report.status).toBe(200);
      expect((await report.text()).length).toBeGreaterThan(4 * MiB);
      const log = await ed.get(`/runs/${id}/log`);
      expect(log.status).toBe(200);
      // The log keeps 16 MiB of the 16.4 MiB printed, then a truncation marker.
      expect((await log.text()).length).toBeGreaterThan(15 * MiB);
    }));
    await alive();
  });
});
