/**
 * `npm run bench:log-search`: the runs list's search in log text, with LIKE
 * over run_logs (no index can help a substring) against the FTS5 index of
 * migration 14, on two fresh databases holding the same BENCH_LOG_LINES log
 * lines (default 1 000 000) over BENCH_RUNS runs (default 2 000). Also what
 * the index costs: storing the lines, the file size, and retention deleting
 * a tenth of the runs.
 */
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileUrl, migrate, openDatabase, type Database } from '../src/server/db.ts';
import { migrations } from '../src/server/migrations.ts';
import { listRuns, type RunFilter } from '../src/server/runs/read.ts';
import { forgetRunsIn } from '../src/server/runs/queue.ts';

const LINES = Number(process.env.BENCH_LOG_LINES ?? 1_000_000);
const RUNS = Number(process.env.BENCH_RUNS ?? 2_000);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 7);

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

/** Every line says "copying"; one in 20 also "warning"; one line of one run "checksum mismatch". */
async function fill(db: Database): Promise<number> {
  const per = Math.ceil(LINES / RUNS);
  const at = new Date().toISOString();
  const t = performance.now();
  for (let i = 0; i < RUNS; i++) {
    const { rows } = await db.write({
      sql: `INSERT INTO runs (page_slug, button_name, state, params, config_revision, script_path, status_file, report_path, requested_by, created_at, finished_at, log_lines)
            VALUES ('bench', 'go', 'succeeded', '{}', 'r', 's', 'a', 'b', 'bench', ?, ?, ?) RETURNING id`,
      args: [at, at, per],
    });
    const id = Number(rows[0]!.id);
    await db.write({
      sql: `WITH RECURSIVE s(k) AS (SELECT 1 UNION ALL SELECT k + 1 FROM s WHERE k < ?)
            INSERT INTO run_logs (run_id, seq, at, stream, text) SELECT ?, k, ?, 'stdout',
              printf('%06d copying part-%d.dat to bucket eu-%d%s', k, k * 7919 % 100000, k % 13,
                CASE WHEN k % 20 = 0 THEN ' warning: slow upstream' WHEN ? AND k = 250 THEN ' checksum mismatch' ELSE '' END) FROM s`,
      args: [per, id, at, i === Math.floor(RUNS / 3) ? 1 : 0],
    });
  }
  return performance.now() - t;
}

async function database(dir: string, name: string, fts: boolean): Promise<{ db: Database; path: string }> {
  const path = join(dir, `${name}.db`);
  const db = await openDatabase(fileUrl(path));
  await migrate(db, migrations.filter((m) => fts || m.version !== 14));
  return { db, path };
}

const QUERIES: [string, Omit<RunFilter, 'pages'>][] = [
  ['a word in every line', { q: 'copying' }],
  ['a word in 1 line of 20', { q: 'warning' }],
  ['a phrase in 1 line of all', { q: 'checksum mismatch' }],
  ['a word in no line', { q: 'nowhere' }],
  ['every line, a page without runs', { q: 'copying', page: 'other' }],
  ['every line, the third page', { q: 'copying', before: Math.floor(RUNS * 0.95) }],
];

async function main() {
  const dir = mkdtempSync(join(tmpdir(), 'switchyard-bench-search-'));
  try {
    const like = await database(dir, 'like', false);
    const fts = await database(dir, 'fts', true);
    const fillLike = await fill(like.db);
    const fillFts = await fill(fts.db);
    console.log(`${LINES} lines over ${RUNS} runs`);
    console.log(`store the lines: LIKE ${(fillLike / 1000).toFixed(1)} s, FTS ${(fillFts / 1000).toFixed(1)} s`);
    console.log(`file size: LIKE ${(statSync(like.path).size / 1e6).toFixed(0)} MB, FTS ${(statSync(fts.path).size / 1e6).toFixed(0)} MB`);
    console.log('\nfirst page of the runs list (50 runs), median of', ROUNDS, 'rounds, ms:');
    console.log('search | LIKE | FTS | runs found (LIKE / FTS)');
    for (const [label, filter] of QUERIES) {
      const times = { like: [] as number[], fts: [] as number[] };
      const found = { like: 0, fts: 0 };
      for (let r = 0; r < ROUNDS; r++) {
        // Interleaved, so both see the same noise of a shared machine.
        for (const [key, db, how] of [['like', like.db, 'like'], ['fts', fts.db, 'fts']] as const) {
          const t = performance.now();
          const out = await listRuns(db, filter, how);
          times[key].push(performance.now() - t);
          found[key] = out.runs.length;
        }
      }
      const ms = (xs: number[]) => median(xs).toFixed(1);
      console.log(`${label} | ${ms(times.like)} | ${ms(times.fts)} | ${found.like} / ${found.fts}`);
    }
    console.log('\nretention: delete a tenth of the runs with their lines, ms:');
    const ids = Array.from({ length: Math.floor(RUNS / 10) }, (_, i) => i + 1);
    for (const [name, db] of [['LIKE', like.db], ['FTS', fts.db]] as const) {
      const t = performance.now();
      for (let i = 0; i < ids.length; i += 20) await db.transaction(async (tx) => { await forgetRunsIn(tx, ids.slice(i, i + 20)); await tx.commit(); });
      console.log(`${name} ${(performance.now() - t).toFixed(0)}`);
    }
    const left = await fts.db.execute(`SELECT count(*) AS n FROM run_logs_fts WHERE run_logs_fts MATCH 'copying'`);
    const kept = await fts.db.execute('SELECT count(*) AS n FROM run_logs');
    console.log(`FTS entries for "copying" after retention: ${left.rows[0]!.n}, lines kept: ${kept.rows[0]!.n}`);
    like.db.close();
    fts.db.close();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
