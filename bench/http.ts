/**
 * `npm run bench:http`: authenticated page GET and save against the built server,
 * beside a raw node:http hello-world measured in the same run. Each scenario
 * runs ROUNDS times after a warm-up; the table shows medians of the rounds.
 */
import { fork } from 'node:child_process';
import { join } from 'node:path';
import { availableParallelism } from 'node:os';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { createClient } from '@libsql/client';
import { apiToken, Client } from '../test/helpers/client.ts';
import { freePort, ROOT, startServer, stopProcess, type TestServer } from '../test/helpers/server.ts';
import { load, median, type Req, type Result } from './load.ts';

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 5);
const HISTORY_ROWS = Number(process.env.BENCH_HISTORY_ROWS ?? 1_000_000);
const REQUESTS = { 1: 500, 16: 2000 } as const;

async function startHello(): Promise<{ url: string; stop: () => Promise<void> }> {
  const port = await freePort();
  const child = fork(join(ROOT, 'bench/hello.mjs'), { env: { ...process.env, PORT: String(port) } });
  await new Promise((ok) => child.once('message', ok));
  return { url: `http://127.0.0.1:${port}`, stop: () => stopProcess(child) };
}

/** Adds saves of the first page until config_history holds about `rows` rows; returns the row count. */
async function seedHistory(db: ReturnType<TestServer['db']>, rows: number): Promise<number> {
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

/** Runs `work` while `url` is fetched every `everyMs`, one request at a time, as a monitor would. */
async function whilePolling<T>(url: string, everyMs: number, work: () => Promise<T>): Promise<{ result: T; polls: number; allOk: boolean }> {
  let polling = true;
  let polls = 0;
  let allOk = true;
  const poller = (async () => {
    while (polling) {
      const res = await fetch(url);
      await res.arrayBuffer();
      polls++;
      allOk &&= res.status === 200;
      await new Promise((r) => setTimeout(r, everyMs));
    }
  })();
  try {
    return { result: await work(), polls, allOk };
  } finally {
    polling = false;
    await poller;
  }
}

async function measure(url: string, r: Req, concurrency: 1 | 16): Promise<Result> {
  await load(url, r, concurrency, 200); // warm-up
  const rounds: Result[] = [];
  for (let i = 0; i < ROUNDS; i++) rounds.push(await load(url, r, concurrency, REQUESTS[concurrency]));
  return {
    requests: rounds.reduce((n, x) => n + x.requests, 0),
    seconds: rounds.reduce((n, x) => n + x.seconds, 0),
    rps: median(rounds.map((x) => x.rps)),
    p50: median(rounds.map((x) => x.p50)),
    p99: median(rounds.map((x) => x.p99)),
  };
}

/**
 * The floor under any save: one-row commits on a fresh libSQL file in WAL
 * mode, each its own transaction, from `concurrency` connections at once.
 */
async function bareCommits(concurrency: 1 | 16, total: number): Promise<Result> {
  const dir = mkdtempSync(join(tmpdir(), 'switchyard-bench-'));
  const url = `file:${join(dir, 'bare.db')}`;
  const clients = Array.from({ length: concurrency }, () => createClient({ url, timeout: 5000 }));
  try {
    await clients[0]!.execute('PRAGMA journal_mode = WAL');
    await clients[0]!.execute('CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT)');
    const latencies: number[] = [];
    let next = 0;
    const started = performance.now();
    await Promise.all(clients.map(async (c) => {
      while (next++ < total) {
        const t = performance.now();
        await c.execute({ sql: 'INSERT INTO t (v) VALUES (?)', args: [String(next)] });
        latencies.push(performance.now() - t);
      }
    }));
    const seconds = (performance.now() - started) / 1000;
    latencies.sort((a, b) => a - b);
    const at = (p: number) => latencies[Math.min(latencies.length - 1, Math.floor(p * latencies.length))]!;
    return { requests: total, seconds, rps: total / seconds, p50: at(0.5), p99: at(0.99) };
  } finally {
    for (const c of clients) c.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

/** 16 API clients saving one page at once: each save must be stored, or refused as a clean 409; none lost, none else. */
async function savesToOnePage(app: TestServer, token: string) {
  const api = `${app.url}/api/v1/pages/toplevel`;
  const headers = { authorization: `Bearer ${token}`, 'content-type': 'application/json' };
  const changes = async () => Number((await app.db().execute("SELECT count(*) AS n FROM changes WHERE page_slug = 'toplevel'")).rows[0]!.n);
  const before = await changes();
  const out = { saved: 0, conflicts: 0, other: 0, recorded: 0 };
  await Promise.all(Array.from({ length: 16 }, async (_, w) => {
    for (let i = 0; i < 25; i++) {
      const { revision } = (await (await fetch(api, { headers })).json()) as { revision: number };
      const res = await fetch(`${api}/values`, { method: 'PUT', headers, body: JSON.stringify({ revision, values: { instance_name: `w${w}-${i}` } }) });
      const body = (await res.json()) as { saved?: unknown };
      if (res.status === 200 && body.saved) out.saved++;
      else if (res.status === 409) out.conflicts++;
      else out.other++;
    }
  }));
  out.recorded = (await changes()) - before;
  return out;
}

const hello = await startHello();
const app = await startServer({ users: [{ name: 'bench', role: 'editor', password: 'bench-password' }] });
try {
  const c = new Client(app.url);
  await c.login('bench', 'bench-password');
  const cookie = `switchyard_session=${c.cookies.get('switchyard_session')}`;
  const token = await apiToken(app.url, 'bench', 'bench-password');
  const form = { cookie, origin: app.url, 'content-type': 'application/x-www-form-urlencoded' };
  const values = (i: number) => new URLSearchParams({ version: `1.${i}.${Math.random()}`, instance_name: 'bench', debug_mode: 'on', logging_level: 'info' }).toString();
  const scenarios: [string, string, Req][] = [
    ['hello world (node:http)', hello.url, { method: 'GET', path: '/', expect: 200 }],
    ['page GET (logged in)', app.url, { method: 'GET', path: '/page/toplevel', headers: { cookie }, expect: 200 }],
    ['export (POST, YAML attachment)', app.url, { method: 'POST', path: '/page/toplevel/export', headers: form, body: values, expect: 200 }],
    ['JSON API GET (token)', app.url, { method: 'GET', path: '/api/v1/pages/toplevel', headers: { authorization: `Bearer ${token}` }, expect: 200 }],
    ['/readyz (no login)', app.url, { method: 'GET', path: '/readyz', expect: 200 }],
    ['/metrics (loopback, no login)', app.url, { method: 'GET', path: '/metrics', expect: 200 }],
    [
      'save (POST, 4 parameters)',
      app.url,
      {
        method: 'POST',
        path: '/page/toplevel',
        headers: form,
        // No _revision: each save lands on top of the latest, so every request is a real write.
        body: values,
        expect: 303,
      },
    ],
  ];
  const rows: string[] = [];
  const baseline: Record<number, Result> = {};
  const results = new Map<string, Result>();
  for (const concurrency of [1, 16] as const) {
    for (const [name, url, req] of scenarios) {
      const r = await measure(url, req, concurrency);
      results.set(`${name}@${concurrency}`, r);
      baseline[concurrency] ??= r;
      const ratio = baseline[concurrency]!.rps / r.rps;
      rows.push(
        `| ${name} | ${concurrency} | ${r.rps.toFixed(0)} | ${r.p50.toFixed(2)} | ${r.p99.toFixed(2)} | ${ratio === 1 ? 'baseline' : `${ratio.toFixed(1)}× slower`} |`,
      );
    }
  }
  const { rows: saved } = await app.db().execute('SELECT count(*) AS n FROM changes');
  const bare = { 1: await bareCommits(1, 2000), 16: await bareCommits(16, 4000) };
  const race = await savesToOnePage(app, token);

  // A monitor polling /readyz or /metrics (100 times a second, far more than any needs) must not slow the pages beside it.
  const page1 = scenarios[1]![2];
  const quiet = await measure(app.url, page1, 16);
  const polled = await whilePolling(`${app.url}/readyz`, 10, () => measure(app.url, page1, 16));
  const scraped = await whilePolling(`${app.url}/metrics`, 10, () => measure(app.url, page1, 16));

  // The same reads once the history is large: current values must not slow down with it.
  const history: Req = { method: 'GET', path: '/page/toplevel/history', headers: { cookie }, expect: 200 };
  const page = scenarios[1]![2];
  const small = { page: await measure(app.url, page, 1), history: await measure(app.url, history, 1) };
  const seeded = await seedHistory(app.db(), HISTORY_ROWS);
  const large = { page: await measure(app.url, page, 1), history: await measure(app.url, history, 1) };

  console.log(`\nSwitchyard bench: medians of ${ROUNDS} rounds (${REQUESTS[1]} requests at c=1, ${REQUESTS[16]} at c=16), node ${process.version}\n`);
  console.log('| scenario | concurrency | req/s | p50 ms | p99 ms | vs hello world |');
  console.log('|---|---:|---:|---:|---:|---|');
  for (const row of rows) console.log(row);
  console.log(`\n${saved[0]!.n} saves written to the database during the run.`);

  // The performance goals, each path against the baseline it is judged by, measured in this run.
  console.log(`\nAgainst the goals (${availableParallelism()} cores; c=16):\n`);
  console.log('| path | req/s | p50 ms | p99 ms | baseline | baseline req/s | share of baseline | goal |');
  console.log('|---|---:|---:|---:|---|---:|---:|---|');
  const goal = (name: string, base: string, b: Result, share: number, p99: number) => {
    const r = results.get(`${name}@16`)!;
    const met = r.rps / b.rps >= share && r.p99 < p99 ? 'met' : 'not yet';
    console.log(`| ${name} | ${r.rps.toFixed(0)} | ${r.p50.toFixed(2)} | ${r.p99.toFixed(2)} | ${base} | ${b.rps.toFixed(0)} | 1/${(b.rps / r.rps).toFixed(1)} | ≥ 1/${Math.round(1 / share)}, p99 < ${p99} ms: ${met} |`);
  };
  for (const name of ['page GET (logged in)', 'export (POST, YAML attachment)', 'JSON API GET (token)']) goal(name, 'node:http hello', baseline[16]!, 1 / 20, 10);
  goal('save (POST, 4 parameters)', '1-row libSQL commits, WAL, 16 connections', bare[16], 1 / 10, 15);
  console.log(`\n16 connections saving one page through the JSON API, each with the revision it last read: ${race.saved} saved, ${race.conflicts} refused as 409 conflicts, ${race.other} other answers; ${race.recorded} saves recorded in the database (${race.recorded === race.saved ? 'none lost' : 'MISMATCH'}).`);
  console.log(`\n1-row libSQL commits in WAL mode: ${bare[1].rps.toFixed(0)}/s from one connection (p99 ${bare[1].p99.toFixed(2)} ms), ${bare[16].rps.toFixed(0)}/s from 16 (p99 ${bare[16].p99.toFixed(2)} ms).`);
  console.log(`\nPage GET at concurrency 16 while /readyz is polled every 10 ms (${polled.polls} polls, all 200: ${polled.allOk}), then /metrics (${scraped.polls} scrapes, all 200: ${scraped.allOk}):\n`);
  console.log('| scenario | req/s | p50 ms | p99 ms | vs unpolled |');
  console.log('|---|---:|---:|---:|---|');
  console.log(`| page GET, nothing else | ${quiet.rps.toFixed(0)} | ${quiet.p50.toFixed(2)} | ${quiet.p99.toFixed(2)} | baseline |`);
  for (const [name, r] of [['/readyz polled', polled.result], ['/metrics scraped', scraped.result]] as const) {
    console.log(`| page GET, ${name} | ${r.rps.toFixed(0)} | ${r.p50.toFixed(2)} | ${r.p99.toFixed(2)} | ${(quiet.rps / r.rps).toFixed(2)}× the time |`);
  }
  console.log(`\nReads with ${seeded.toLocaleString('en')} config_history rows (concurrency 1):\n`);
  console.log('| scenario | history rows | req/s | p50 ms | p99 ms | vs small history |');
  console.log('|---|---:|---:|---:|---:|---|');
  for (const [name, key] of [['page GET', 'page'], ['history page (50 newest saves)', 'history']] as const) {
    for (const [label, r] of [[`${Number(saved[0]!.n) * 4}`, small[key]], [seeded.toLocaleString('en'), large[key]]] as const) {
      const ratio = r.p50 / small[key].p50;
      console.log(`| ${name} | ${label} | ${r.rps.toFixed(0)} | ${r.p50.toFixed(2)} | ${r.p99.toFixed(2)} | ${r === small[key] ? 'baseline' : `${ratio.toFixed(2)}× the p50`} |`);
    }
  }
} finally {
  await app.stop();
  await hello.stop();
}
