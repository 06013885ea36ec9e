/**
 * `npm run bench:runs`: how fast a click reaches the script, and how fast a
 * log line reaches a browser's event stream, through the built app and a real
 * runner. The baseline, measured in the same run, is the same script spawned
 * directly by this process: the floor any runner has to pay.
 */
import { request } from 'node:http';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { execa } from 'execa';
import { Client, getJson, postJson } from '../test/helpers/client.ts';
import { startRunner } from '../test/helpers/runner.ts';
import { startServer } from '../test/helpers/server.ts';
import { finish, type GoalRow } from './goals.ts';
import { percentile } from './load.ts';

/**
 * Where these paths stood before the performance work, as ratios to the
 * baselines measured in the same run (click → start 12.03 ms against 3.54 ms
 * for the script spawned directly; log line p95 10.84 ms against 0.21 ms for
 * a pipe reader): the goal is to stay as fast or get faster. Ratios, because
 * how fast this machine starts a process changes from day to day.
 */
const CLICK_RATIO_BEFORE = 3.4;
const LINE_P95_RATIO_BEFORE = 52;
const CLICKS = Number(process.env.BENCH_CLICKS ?? 150);
const LINES = Number(process.env.BENCH_LINES ?? 10_000);

const CONFIG = `toplevel_title: Bench
pages:
  - slug: bench
    title: Bench
    buttons:
      - {name: start, label: Start, script_path: scripts/start.sh, status_file: app_data/status/start.json, report_path: app_data/reports/start.log}
      - {name: lines, label: Lines, script_path: scripts/lines.sh, status_file: app_data/status/lines.json, report_path: app_data/reports/lines.log}
`;
// First thing each script does is read the clock (bash's $EPOCHREALTIME costs no fork).
const START = '#!/usr/bin/env bash\necho "$EPOCHREALTIME" > "$SWITCHYARD_DATA_DIR/start-${SWITCHYARD_RUN_ID:-direct}"\n';
const LINES_SH = `#!/usr/bin/env bash
# ${'$'}{N} lines in bursts of 10, each stamped with the time it was printed.
for ((i = 1; i <= N; i++)); do
  echo "$i $EPOCHREALTIME"
  (( i % 10 == 0 )) && sleep 0.002
done
`;

const nowMs = () => performance.timeOrigin + performance.now();
const stampMs = (s: string) => Number(s.trim()) * 1000;

function stats(xs: number[]) {
  const s = [...xs].sort((a, b) => a - b);
  return { n: s.length, p50: percentile(s, 50), p95: percentile(s, 95), p99: percentile(s, 99) };
}

async function baselineStart(dir: string): Promise<number[]> {
  const out: number[] = [];
  for (let i = 0; i < CLICKS; i++) {
    const t0 = nowMs();
    await execa(join(dir, 'scripts/start.sh'), [], { env: { SWITCHYARD_DATA_DIR: dir, SWITCHYARD_RUN_ID: 'direct' } });
    out.push(stampMs(readFileSync(join(dir, 'start-direct'), 'utf8')) - t0);
  }
  return out;
}

async function baselineLines(dir: string): Promise<number[]> {
  const out: number[] = [];
  const child = execa(join(dir, 'scripts/lines.sh'), [], { env: { N: String(LINES) }, buffer: false, lines: false });
  let partial = '';
  child.stdout!.on('data', (chunk: Buffer) => {
    const now = nowMs();
    const parts = (partial + chunk.toString()).split('\n');
    partial = parts.pop()!;
    for (const p of parts) out.push(now - stampMs(p.split(' ')[1]!));
  });
  await child;
  return out;
}

/** Reads a run's event stream until it ends, timing each log line on arrival. */
function streamLatencies(url: string, cookie: string, id: number): Promise<number[]> {
  return new Promise((ok, fail) => {
    const out: number[] = [];
    const req = request(`${url}/runs/${id}`, { headers: { accept: 'text/event-stream', cookie } }, (res) => {
      let buf = '';
      res.on('data', (chunk: Buffer) => {
        const now = nowMs();
        buf += chunk.toString();
        const events = buf.split('\n\n');
        buf = events.pop()!;
        for (const e of events) {
          if (!e.includes('event: log')) continue;
          const data = JSON.parse(e.slice(e.indexOf('data: ') + 6)) as { lines: { text: string; stream: string }[] };
          for (const l of data.lines) if (l.stream === 'stdout') out.push(now - stampMs(l.text.split(' ')[1]!));
        }
      });
      res.on('end', () => ok(out));
    });
    req.on('error', fail);
    req.end();
  });
}

export async function runsBench(): Promise<GoalRow[]> {
  const server = await startServer({ config: CONFIG, files: { 'scripts/start.sh': START, 'scripts/lines.sh': LINES_SH }, users: [{ name: 'bench', role: 'operator', password: 'bench-password' }] });
  const runner = await startRunner(server, 'bench', { N: String(LINES) });
  try {
    const c = new Client(server.url);
    await c.login('bench', 'bench-password');
    const cookie = c.cookieHeader();

    // Click to script start: POST as the button does, then read when the script began.
    const clicks: number[] = [];
    for (let i = 0; i < CLICKS + 10; i++) {
      const t0 = nowMs();
      const res = await postJson(c, '/page/bench/run/start');
      const { id } = (await res.json()) as { id: number };
      for (;;) {
        const run = await getJson<{ state: string }>(c, `/runs/${id}`);
        if (run.state !== 'queued' && run.state !== 'running') break;
        await new Promise((r) => setTimeout(r, 2));
      }
      if (i >= 10) clicks.push(stampMs(readFileSync(join(server.dataDir, `start-${id}`), 'utf8')) - t0); // 10 warm-up runs
    }
    const directStart = await baselineStart(server.dir);

    // Log line to browser: the run's event stream, opened before the run starts printing.
    const res = await postJson(c, '/page/bench/run/lines');
    const { id } = (await res.json()) as { id: number };
    const streamed = await streamLatencies(server.url, cookie, id);
    const directLines = await baselineLines(server.dir);

    const rows: [string, number[]][] = [
      ['click → script start (Switchyard)', clicks],
      ['script start, spawned directly (baseline)', directStart],
      ['log line → event stream (Switchyard)', streamed],
      ['log line → pipe reader, directly (baseline)', directLines],
    ];
    console.log(`\nSwitchyard runs bench: ${CLICKS} clicks, ${LINES} log lines, node ${process.version}\n`);
    console.log('| measure | samples | p50 ms | p95 ms | p99 ms |');
    console.log('|---|---:|---:|---:|---:|');
    for (const [name, xs] of rows) {
      const s = stats(xs);
      console.log(`| ${name} | ${s.n} | ${s.p50.toFixed(2)} | ${s.p95.toFixed(2)} | ${s.p99.toFixed(2)} |`);
    }
    const ratio = (a: number[], b: number[]) => (stats(a).p50 / stats(b).p50).toFixed(1);
    console.log(`\nMedian ratios to the baseline: click → start ${ratio(clicks, directStart)}×, log line ${ratio(streamed, directLines)}×.`);
    if (streamed.length !== LINES) console.log(`Warning: ${streamed.length} of ${LINES} lines arrived on the stream.`);
    const click = stats(clicks);
    const line = stats(streamed);
    const direct = { start: stats(directStart), line: stats(directLines) };
    return [
      {
        path: 'click → script start, through a real runner',
        p50: click.p50,
        p99: click.p99,
        baseline: 'the script spawned directly',
        baseP50: direct.start.p50,
        ratio: `${(click.p50 / direct.start.p50).toFixed(1)}× the p50`,
        goal: `p50 ≤ ${CLICK_RATIO_BEFORE}× the baseline's (as before)`,
        met: click.p50 <= CLICK_RATIO_BEFORE * direct.start.p50,
      },
      {
        path: `log line → browser's event stream (p95 ${line.p95.toFixed(2)} ms)`,
        p50: line.p50,
        p99: line.p99,
        baseline: 'a pipe reader on the script directly',
        baseP50: direct.line.p50,
        ratio: `${(line.p95 / direct.line.p95).toFixed(1)}× the p95`,
        goal: `p95 ≤ ${LINE_P95_RATIO_BEFORE}× the baseline's (as before), every line delivered`,
        met: line.p95 <= LINE_P95_RATIO_BEFORE * direct.line.p95 && streamed.length === LINES,
      },
    ];
  } finally {
    await runner.stop();
    await server.stop();
  }
}

if (import.meta.main) finish(await runsBench());
