/**
 * `npm run bench:memory`: the resident memory (RSS) of the built server idle and
 * after logged-in page GETs at concurrency 16, and of a real runner idle and
 * while a run streams its log. RSS is what the host pays, so it is read from
 * /proc, not from inside the processes.
 */
import { readFileSync } from 'node:fs';
import { Client, getJson, postJson } from '../test/helpers/client.ts';
import { startRunner } from '../test/helpers/runner.ts';
import { EXAMPLE_CONFIG, startServer } from '../test/helpers/server.ts';
import { load } from './load.ts';
import { ceilingGoal, finish } from './goals.ts';

const REQUESTS = Number(process.env.BENCH_MEMORY_REQUESTS ?? 20_000);
const LINES = Number(process.env.BENCH_MEMORY_LINES ?? 20_000);
const SETTLE_MS = 2000;

// The example's pages, and one whose button prints LINES lines of about 100 characters in bursts of ten.
const CONFIG = `${EXAMPLE_CONFIG}
  - slug: memory-bench
    title: Memory bench
    buttons:
      - {name: lines, label: Lines, script_path: scripts/lines.sh, status_file: app_data/status/lines.json, report_path: app_data/reports/lines.log}
`;
const LINES_SH = `#!/usr/bin/env bash
for ((i = 1; i <= N; i++)); do
  echo "line $i of $N: $EPOCHREALTIME the quick brown fox jumps over the lazy dog, again and again and again"
  (( i % 10 == 0 )) && sleep 0.002
done
`;

export interface MemoryFigures {
  appIdleMb: number;
  appAfterLoadMb: number;
  runnerIdleMb: number;
  /** The highest RSS sampled while the run printed its lines. */
  runnerBusyMb: number;
}

export function rssMb(pid: number): number {
  return Number(/VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? NaN) / 1024;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export async function memoryFigures(): Promise<MemoryFigures> {
  const server = await startServer({
    config: CONFIG,
    files: { 'scripts/lines.sh': LINES_SH },
    users: [{ name: 'bench', role: 'admin', password: 'bench-password' }],
    env: { SWITCHYARD_LOG_LEVEL: 'warn' },
  });
  try {
    await sleep(SETTLE_MS);
    const appIdleMb = rssMb(server.pid());
    const c = new Client(server.url);
    await c.login('bench', 'bench-password');
    await load(server.url, { method: 'GET', path: '/page/toplevel', headers: { cookie: c.cookieHeader() }, expect: 200 }, 16, REQUESTS);
    await sleep(SETTLE_MS);
    const appAfterLoadMb = rssMb(server.pid());

    const runner = await startRunner(server, 'memory-bench', { N: String(LINES) });
    try {
      await sleep(SETTLE_MS);
      const pid = runner.process.pid!;
      const runnerIdleMb = rssMb(pid);
      const { id } = (await (await postJson(c, '/page/memory-bench/run/lines')).json()) as { id: number };
      let runnerBusyMb = 0;
      for (;;) {
        runnerBusyMb = Math.max(runnerBusyMb, rssMb(pid));
        const { state } = await getJson<{ state: string }>(c, `/runs/${id}`);
        if (state !== 'queued' && state !== 'running') break;
        await sleep(50);
      }
      return { appIdleMb, appAfterLoadMb, runnerIdleMb, runnerBusyMb };
    } finally {
      await runner.stop();
    }
  } finally {
    await server.stop();
  }
}

if (import.meta.main) {
  const f = await memoryFigures();
  console.log(`\nSwitchyard memory (RSS), node ${process.version}: ${REQUESTS} page GETs at c=16, a run of ${LINES} log lines\n`);
  console.log('| process | when | RSS MB |');
  console.log('|---|---|---:|');
  console.log(`| app | idle | ${f.appIdleMb.toFixed(0)} |`);
  console.log(`| app | after the GETs | ${f.appAfterLoadMb.toFixed(0)} |`);
  console.log(`| runner | idle | ${f.runnerIdleMb.toFixed(0)} |`);
  console.log(`| runner | while a run streams its log (peak) | ${f.runnerBusyMb.toFixed(0)} |`);
  finish([
    ceilingGoal(`app RSS after ${REQUESTS.toLocaleString('en')} page GETs at c=16`, f.appAfterLoadMb, 'MB', 150),
    ceilingGoal(`runner RSS while a run streams ${LINES.toLocaleString('en')} log lines`, f.runnerBusyMb, 'MB', 60),
  ]);
}
