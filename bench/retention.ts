/**
 * `npm run bench:retention`: how long the retention sweep holds the write
 * lock, and what another app process's writes wait meanwhile, on a database
 * with BENCH_LOG_LINES log lines (default 100 000) over BENCH_RUNS runs
 * (default 500), all old enough to go. Measured twice on fresh copies: with
 * the sweep's own batches, and with everything in one transaction per kind
 * (what a plain DELETE would do), for comparison.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawn } from 'node:child_process';
import { createApp, type App } from '../src/server/app.ts';
import { sweepRetention, type SweepOptions } from '../src/server/retention.ts';
import { readSettings } from '../src/server/settings.ts';
import { percentile } from './load.ts';

const LINES = Number(process.env.BENCH_LOG_LINES ?? 100_000);
const RUNS = Number(process.env.BENCH_RUNS ?? 500);
const CONFIG = `toplevel_title: Bench
retention:
  runs: {max_age: 1d}
pages:
  - slug: bench
    title: Bench
    buttons:
      - {name: go, label: Go, script_path: scripts/go.sh, status_file: app_data/status/go.json, report_path: app_data/reports/go.txt}
`;

async function fill(app: App): Promise<void> {
  const old = new Date(Date.now() - 10 * 86_400_000).toISOString();
  const per = Math.ceil(LINES / RUNS);
  for (let i = 0; i < RUNS; i++) {
    const { rows } = await app.db.write({
      sql: `INSERT INTO runs (page_slug, button_name, state, params, config_revision, script_path, status_file, report_path, requested_by, created_at, finished_at, log_lines)
            VALUES ('bench', 'go', 'succeeded', '{}', 'r', 'scripts/go.sh', 'app_data/status/go.json', 'app_data/reports/go.txt', 'bench', ?, ?, ?) RETURNING id`,
      args: [old, old, per],
    });
    await app.db.write({
      sql: `WITH RECURSIVE s(k) AS (SELECT 1 UNION ALL SELECT k + 1 FROM s WHERE k < ?)
            INSERT INTO run_logs (run_id, seq, at, stream, text) SELECT ?, k, ?, 'stdout', printf('%06d some output a script printed while it ran, of a usual length', k) FROM s`,
      args: [per, Number(rows[0]!.id), old],
    });
  }
  // The newest run always stays; this one is recent anyway.
  await app.db.write({ sql: `INSERT INTO runs (page_slug, button_name, state, params, config_revision, script_path, status_file, report_path, requested_by, created_at, finished_at)
    VALUES ('bench', 'go', 'succeeded', '{}', 'r', 'scripts/go.sh', 'app_data/status/go.json', 'app_data/reports/go.txt', 'bench', ?, ?)`, args: [new Date().toISOString(), new Date().toISOString()] });
}

const WRITER = `
import { openDatabase } from ${JSON.stringify(new URL('../src/server/db.ts', import.meta.url).pathname)};
const db = await openDatabase(process.argv[1]);
const waits = [];
let on = true;
process.stdin.on('end', () => (on = false)).resume();
console.log('ready');
while (on) {
  const t = performance.now();
  await db.write({ sql: "INSERT INTO audit_log (at, action) VALUES (?, 'login')", args: [new Date().toISOString()] });
  waits.push(performance.now() - t);
  await new Promise((ok) => setTimeout(ok, 10));
}
console.log(JSON.stringify(waits));
db.close();
`;

async function measure(label: string, opts: SweepOptions): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'switchyard-bench-retention-'));
  writeFileSync(join(dir, 'config.yaml'), CONFIG);
  const settings = readSettings({ SWITCHYARD_CONFIG: join(dir, 'config.yaml'), SWITCHYARD_DATA_DIR: join(dir, 'data') });
  const app = await createApp(settings);
  try {
    await fill(app);
    // Another process writes a row every 10 ms while the sweep runs; each write's wait is what a save
    // there would feel. Its own process: the driver runs SQLite synchronously, so in this one the sweep
    // would also stop the clock that measures the wait.
    const writer = spawn(process.execPath, ['--input-type=module', '-e', WRITER, settings.dbUrl], { stdio: ['pipe', 'pipe', 'inherit'] });
    let out = '';
    writer.stdout.on('data', (d: Buffer) => (out += d));
    await new Promise<void>((ok) => writer.stdout.once('data', () => ok()));
    const r = await sweepRetention(app, Date.now(), opts);
    writer.stdin.end();
    await new Promise((ok) => writer.once('exit', ok));
    const waits = (JSON.parse(out.split('\n').filter(Boolean).at(-1)!) as number[]);
    const tx = [...r.transactionMs].sort((a, b) => a - b);
    const w = waits.sort((a, b) => a - b);
    console.log(`${label}: removed ${r.removed.runs} runs and ${r.removed.run_logs} log lines in ${(r.tookMs / 1000).toFixed(1)} s, ${r.transactions} transactions`);
    console.log(`  write lock held per transaction: median ${percentile(tx, 50).toFixed(1)} ms, p95 ${percentile(tx, 95).toFixed(1)} ms, longest ${r.longestTransactionMs.toFixed(1)} ms`);
    console.log(`  another process's ${w.length} writes meanwhile waited: median ${percentile(w, 50).toFixed(1)} ms, p99 ${percentile(w, 99).toFixed(1)} ms, longest ${w.at(-1)!.toFixed(1)} ms`);
  } finally {
    app.db.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

console.log(`Retention sweep over ${RUNS} runs with ${LINES} log lines:`);
await measure('batched (200 runs, 2000 log lines per transaction)', {});
await measure('one transaction per kind', { batchRuns: RUNS + 1, batchRows: LINES + 1, pauseMs: 0 });
if (process.env.BENCH_ROWS) await measure(`batched (${process.env.BENCH_ROWS} log lines per transaction)`, { batchRows: Number(process.env.BENCH_ROWS) });
