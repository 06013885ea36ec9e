/**
 * `npm run bench:history`: the page and its history with a million saved
 * values, against a database holding only the 50 saves the history page
 * lists (an empty one would render no rows at all, which is not the same
 * work). Two servers run side by side and are measured in turns, so both see
 * the same machine.
 */
import type { Client as Db } from '@libsql/client';
import { Client } from '../test/helpers/client.ts';
import { startServer, type TestServer } from '../test/helpers/server.ts';
import { latencyGoal, finish, type GoalRow } from './goals.ts';
import { load, median, type Req, type Result } from './load.ts';

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 5);
const HISTORY_ROWS = Number(process.env.BENCH_HISTORY_ROWS ?? 1_000_000);
const PER_ROUND = 500;

/** Adds saves of the first page (4 values each) until config_history holds about `rows` rows; returns the row count. */
export async function seedHistory(db: Db, rows: number): Promise<number> {
  const saves = Math.ceil(rows / 4);
  await db.executeMultiple(`
    BEGIN IMMEDIATE;
    WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < ${saves})
    INSERT INTO changes (page_slug, user_id, author, saved_at, base_change_id, config_revision)
      SELECT 'toplevel', 1, 'seed', '2026-01-01T00:00:00.000Z', 0, 'seed' FROM n;
    INSERT INTO config_history (page_slug, parameter_name, value, saved_at, change_id, saved_by)
      SELECT 'toplevel', p.name,
             CASE p.name WHEN 'debug_mode' THEN 'true' WHEN 'logging_level' THEN 'info' ELSE 'v' || c.id END,
             c.saved_at, c.id, 'seed'
      FROM changes c, (SELECT 'version' AS name UNION ALL SELECT 'instance_name' UNION ALL SELECT 'debug_mode' UNION ALL SELECT 'logging_level') p
      WHERE c.author = 'seed';
    COMMIT;`);
  const { rows: n } = await db.execute('SELECT count(*) AS n FROM config_history');
  return Number(n[0]!.n);
}

async function seeded(rows: number): Promise<{ app: TestServer; cookie: string; rows: number }> {
  const app = await startServer({ users: [{ name: 'bench', role: 'editor', password: 'bench-password' }] });
  const n = await seedHistory(app.db(), rows);
  const c = new Client(app.url);
  await c.login('bench', 'bench-password');
  return { app, cookie: c.cookieHeader(), rows: n };
}

/** The median round of each server, measured in turns at concurrency 1. */
async function inTurns(a: { url: string; req: Req }, b: { url: string; req: Req }): Promise<[Result, Result]> {
  for (const s of [a, b]) await load(s.url, s.req, 1, 200); // warm-up
  const ra: Result[] = [];
  const rb: Result[] = [];
  for (let i = 0; i < ROUNDS; i++) {
    ra.push(await load(a.url, a.req, 1, PER_ROUND));
    rb.push(await load(b.url, b.req, 1, PER_ROUND));
  }
  const mid = (rs: Result[]): Result => ({ ...rs[0]!, rps: median(rs.map((r) => r.rps)), p50: median(rs.map((r) => r.p50)), p99: median(rs.map((r) => r.p99)) });
  return [mid(ra), mid(rb)];
}

export async function historyBench(): Promise<GoalRow[]> {
  const small = await seeded(200);
  const large = await seeded(HISTORY_ROWS);
  try {
    const goals: GoalRow[] = [];
    console.log(`\nReads with ${large.rows.toLocaleString('en')} config_history rows against ${small.rows} (concurrency 1, ${ROUNDS} rounds of ${PER_ROUND} in turns):\n`);
    console.log('| scenario | history rows | req/s | p50 ms | p99 ms |');
    console.log('|---|---:|---:|---:|---:|');
    for (const [name, path] of [['page GET', '/page/toplevel'], ['history page (50 newest saves)', '/page/toplevel/history']] as const) {
      const req = (cookie: string): Req => ({ method: 'GET', path, headers: { cookie }, expect: 200 });
      const [s, l] = await inTurns({ url: small.app.url, req: req(small.cookie) }, { url: large.app.url, req: req(large.cookie) });
      for (const [rows, r] of [[small.rows, s], [large.rows, l]] as const) {
        console.log(`| ${name} | ${rows.toLocaleString('en')} | ${r.rps.toFixed(0)} | ${r.p50.toFixed(2)} | ${r.p99.toFixed(2)} |`);
      }
      goals.push(latencyGoal(`${name}, ${large.rows.toLocaleString('en')} history rows (c=1)`, l, `the same, ${small.rows} rows`, s, 1.05, 'p50 within 5 % of the baseline\'s'));
    }
    return goals;
  } finally {
    await small.app.stop();
    await large.app.stop();
  }
}

if (import.meta.main) finish(await historyBench());
