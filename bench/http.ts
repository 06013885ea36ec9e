/**
 * `npm run bench:http`: the built server's pages, export, JSON API and saves,
 * beside a raw node:http hello-world and bare libSQL commits measured in the
 * same run. Each scenario runs ROUNDS times after a warm-up; the tables show
 * medians of the rounds.
 */
import { fork } from 'node:child_process';
import { join } from 'node:path';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { createClient } from '@libsql/client';
import { parseDocument } from 'yaml';
import { apiToken, Client } from '../test/helpers/client.ts';
import { EXAMPLE_CONFIG, freePort, ROOT, startServer, stopProcess, type TestServer } from '../test/helpers/server.ts';
import { finish, rateGoal, type GoalRow } from './goals.ts';
import { load, median, unexpectedText, type Req, type Result } from './load.ts';

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 5);
const REQUESTS = { 1: 500, 16: 2000 } as const;
/**
 * One page per connection of the c=16 saves, so they measure saving, not
 * waiting on each other: `bench-0` … `bench-15` for the form, `bench-16` …
 * `bench-31` for the API (whose saves carry the revision they last saw).
 */
const CONNECTIONS = 16;
const API_PAGE = (w: number) => `bench-${CONNECTIONS + w}`;

async function startHello(): Promise<{ url: string; stop: () => Promise<void> }> {
  const port = await freePort();
  const child = fork(join(ROOT, 'bench/hello.mjs'), { env: { ...process.env, PORT: String(port) } });
  await new Promise((ok) => child.once('message', ok));
  return { url: `http://127.0.0.1:${port}`, stop: () => stopProcess(child) };
}

/** The example config with 2 × CONNECTIONS more pages like its first. */
function benchConfig(): string {
  const doc = parseDocument(EXAMPLE_CONFIG);
  const pages = doc.get('pages') as { items: unknown[] } & { toJSON(): { parameters: unknown }[] };
  const parameters = pages.toJSON()[0]!.parameters;
  for (let i = 0; i < 2 * CONNECTIONS; i++) pages.items.push(doc.createNode({ slug: `bench-${i}`, title: `Bench ${i}`, parameters }));
  return doc.toString();
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
  const unexpected: Record<number, number> = {};
  for (const x of rounds) for (const [s, n] of Object.entries(x.unexpected)) unexpected[Number(s)] = (unexpected[Number(s)] ?? 0) + n;
  return {
    requests: rounds.reduce((n, x) => n + x.requests, 0),
    seconds: rounds.reduce((n, x) => n + x.seconds, 0),
    rps: median(rounds.map((x) => x.rps)),
    p50: median(rounds.map((x) => x.p50)),
    p99: median(rounds.map((x) => x.p99)),
    unexpected,
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
    return { requests: total, seconds, rps: total / seconds, p50: at(0.5), p99: at(0.99), unexpected: {} };
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

/**
 * PUTs through the JSON API, each connection to its own page with the revision
 * its last save returned (the API requires one, so nothing is overwritten unseen).
 */
async function apiSaves(app: TestServer, token: string): Promise<Req> {
  const headers = { authorization: `Bearer ${token}`, 'content-type': 'application/json' };
  const revisions = await Promise.all(Array.from({ length: CONNECTIONS }, async (_, w) => {
    const res = await fetch(`${app.url}/api/v1/pages/${API_PAGE(w)}`, { headers });
    return ((await res.json()) as { revision: number }).revision;
  }));
  return {
    method: 'PUT',
    path: (w) => `/api/v1/pages/${API_PAGE(w)}/values`,
    headers,
    body: (i, w) => JSON.stringify({ revision: revisions[w], values: { version: `1.${i}`, instance_name: `bench ${w}`, debug_mode: i % 2 === 0, logging_level: 'info' } }),
    read: (w, status, body) => {
      if (status === 200) revisions[w] = (JSON.parse(body) as { revision: number }).revision;
    },
    expect: 200,
  };
}

export async function httpBench(): Promise<GoalRow[]> {
  const hello = await startHello();
  const app = await startServer({ config: benchConfig(), users: [{ name: 'bench', role: 'editor', password: 'bench-password' }] });
  try {
    const c = new Client(app.url);
    await c.login('bench', 'bench-password');
    const cookie = c.cookieHeader();
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
      // No _revision: each save lands on top of the latest, so every request is a real write.
      ['save through the form, all on one page', app.url, { method: 'POST', path: '/page/toplevel', headers: form, body: values, expect: 303 }],
      ['save through the JSON API (PUT), one page each', app.url, await apiSaves(app, token)],
      ['save through the form, one page each', app.url, { method: 'POST', path: (w) => `/page/bench-${w}`, headers: form, body: values, expect: 303 }],
    ];
    const results = new Map<string, Result>();
    console.log(`\nSwitchyard HTTP bench: medians of ${ROUNDS} rounds (${REQUESTS[1]} requests at c=1, ${REQUESTS[16]} at c=16), node ${process.version}\n`);
    console.log('| scenario | concurrency | req/s | p50 ms | p99 ms | vs hello world | unexpected answers |');
    console.log('|---|---:|---:|---:|---:|---|---|');
    for (const concurrency of [1, 16] as const) {
      for (const [name, url, req] of scenarios) {
        const r = await measure(url, req, concurrency);
        results.set(`${name}@${concurrency}`, r);
        const ratio = results.get(`${scenarios[0]![0]}@${concurrency}`)!.rps / r.rps;
        console.log(`| ${name} | ${concurrency} | ${r.rps.toFixed(0)} | ${r.p50.toFixed(2)} | ${r.p99.toFixed(2)} | ${ratio === 1 ? 'baseline' : `${ratio.toFixed(1)}× slower`} | ${unexpectedText(r.unexpected)} |`);
      }
    }
    const busy = (app.output().match(/SQLITE_BUSY/g) ?? []).length;
    const bare = { 1: await bareCommits(1, 2000), 16: await bareCommits(16, 4000) };
    const race = await savesToOnePage(app, token);
    console.log(`\nSQLITE_BUSY in the server's log: ${busy}.`);
    console.log(`1-row libSQL commits in WAL mode: ${bare[1].rps.toFixed(0)}/s from one connection (p99 ${bare[1].p99.toFixed(2)} ms), ${bare[16].rps.toFixed(0)}/s from 16 (p99 ${bare[16].p99.toFixed(2)} ms).`);
    await monitorsBeside(app, scenarios[1]![2]);

    const at16 = (name: string) => {
      const r = results.get(`${name}@16`)!;
      return { ...r, failures: Object.values(r.unexpected).reduce((a, b) => a + b, 0) };
    };
    const hello16 = results.get(`${scenarios[0]![0]}@16`)!;
    const goals = ['page GET (logged in)', 'export (POST, YAML attachment)', 'JSON API GET (token)'].map((name) => rateGoal(`${name}, c=16`, at16(name), 'node:http hello, c=16', hello16, 1 / 20, 10));
    for (const name of ['save through the form, one page each', 'save through the JSON API (PUT), one page each']) {
      const r = at16(name);
      goals.push(rateGoal(`${name}, c=16`, { ...r, failures: r.failures + busy }, '1-row libSQL commits, WAL, 16 connections', bare[16], 1 / 10, 15));
    }
    goals.push({
      path: '16 connections saving one page (JSON API, each with the revision it read)',
      baseline: '—',
      ratio: `${race.saved} saved, ${race.conflicts} refused (409), ${race.other} other; ${race.recorded} recorded`,
      goal: 'each saved or a clean 409, none lost',
      met: race.other === 0 && race.recorded === race.saved && race.saved > 0,
    });
    goals.push(...(await twoProcesses(hello16)));
    return goals;
  } finally {
    await app.stop();
    await hello.stop();
  }
}

/** The same page GET and saves with SWITCHYARD_PROCESSES=2: a second process serving the port on the other core. */
async function twoProcesses(hello16: Result): Promise<GoalRow[]> {
  const app = await startServer({ config: benchConfig(), env: { SWITCHYARD_PROCESSES: '2' }, users: [{ name: 'bench', role: 'editor', password: 'bench-password' }] });
  try {
    for (let t = 0; !app.output().includes('serving beside the first process'); t++) {
      if (t > 600) throw new Error(`the second process did not start:\n${app.output()}`);
      await new Promise((r) => setTimeout(r, 50));
    }
    const c = new Client(app.url);
    await c.login('bench', 'bench-password');
    const form = { cookie: c.cookieHeader(), origin: app.url, 'content-type': 'application/x-www-form-urlencoded' };
    const values = (i: number) => new URLSearchParams({ version: `2.${i}.${Math.random()}`, instance_name: 'bench', debug_mode: 'on', logging_level: 'info' }).toString();
    const page = await measure(app.url, { method: 'GET', path: '/page/toplevel', headers: { cookie: c.cookieHeader() }, expect: 200 }, 16);
    const save = await measure(app.url, { method: 'POST', path: (w) => `/page/bench-${w}`, headers: form, body: values, expect: 303 }, 16);
    const busy = (app.output().match(/SQLITE_BUSY/g) ?? []).length;
    const bare16 = await bareCommits(16, 4000);
    console.log(`\nWith SWITCHYARD_PROCESSES=2, c=16: page GET ${page.rps.toFixed(0)} req/s (p50 ${page.p50.toFixed(2)}, p99 ${page.p99.toFixed(2)} ms); form save, one page each, ${save.rps.toFixed(0)} req/s (p50 ${save.p50.toFixed(2)}, p99 ${save.p99.toFixed(2)} ms); unexpected answers: ${unexpectedText({ ...page.unexpected, ...save.unexpected })}; SQLITE_BUSY in the log: ${busy}.`);
    const failures = (r: Result) => Object.values(r.unexpected).reduce((a, b) => a + b, 0);
    return [
      rateGoal('page GET (logged in), c=16, 2 processes', { ...page, failures: failures(page) }, 'node:http hello, c=16', hello16, 1 / 20, 10),
      rateGoal('save through the form, one page each, c=16, 2 processes', { ...save, failures: failures(save) + busy }, '1-row libSQL commits, WAL, 16 connections', bare16, 1 / 10, 15),
    ];
  } finally {
    await app.stop();
  }
}

/** A monitor polling /readyz or /metrics (100 times a second, far more than any needs) must not slow the pages beside it. */
async function monitorsBeside(app: TestServer, page: Req): Promise<void> {
  const quiet = await measure(app.url, page, 16);
  const polled = await whilePolling(`${app.url}/readyz`, 10, () => measure(app.url, page, 16));
  const scraped = await whilePolling(`${app.url}/metrics`, 10, () => measure(app.url, page, 16));
  console.log(`\nPage GET at concurrency 16 while /readyz is polled every 10 ms (${polled.polls} polls, all 200: ${polled.allOk}), then /metrics (${scraped.polls} scrapes, all 200: ${scraped.allOk}):\n`);
  console.log('| scenario | req/s | p50 ms | p99 ms | vs unpolled |');
  console.log('|---|---:|---:|---:|---|');
  console.log(`| page GET, nothing else | ${quiet.rps.toFixed(0)} | ${quiet.p50.toFixed(2)} | ${quiet.p99.toFixed(2)} | baseline |`);
  for (const [name, r] of [['/readyz polled', polled.result], ['/metrics scraped', scraped.result]] as const) {
    console.log(`| page GET, ${name} | ${r.rps.toFixed(0)} | ${r.p50.toFixed(2)} | ${r.p99.toFixed(2)} | ${(quiet.rps / r.rps).toFixed(2)}× the time |`);
  }
}

if (import.meta.main) finish(await httpBench());
