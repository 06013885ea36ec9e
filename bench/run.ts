/**
 * `npm run bench`: authenticated page GET and save against the built server,
 * beside a raw node:http hello-world measured in the same run. Each scenario
 * runs ROUNDS times after a warm-up; the table shows medians of the rounds.
 */
import { fork } from 'node:child_process';
import { join } from 'node:path';
import { Client } from '../test/helpers/client.ts';
import { freePort, ROOT, startServer, stopProcess } from '../test/helpers/server.ts';
import { load, median, type Req, type Result } from './load.ts';

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 5);
const REQUESTS = { 1: 500, 16: 2000 } as const;

async function startHello(): Promise<{ url: string; stop: () => Promise<void> }> {
  const port = await freePort();
  const child = fork(join(ROOT, 'bench/hello.mjs'), { env: { ...process.env, PORT: String(port) } });
  await new Promise((ok) => child.once('message', ok));
  return { url: `http://127.0.0.1:${port}`, stop: () => stopProcess(child) };
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

const hello = await startHello();
const app = await startServer({ users: [{ name: 'bench', role: 'editor', password: 'bench-password' }] });
try {
  const c = new Client(app.url);
  await c.login('bench', 'bench-password');
  const cookie = `switchyard_session=${c.cookies.get('switchyard_session')}`;
  const scenarios: [string, string, Req][] = [
    ['hello world (node:http)', hello.url, { method: 'GET', path: '/', expect: 200 }],
    ['page GET (logged in)', app.url, { method: 'GET', path: '/page/toplevel', headers: { cookie }, expect: 200 }],
    [
      'save (POST, 4 parameters)',
      app.url,
      {
        method: 'POST',
        path: '/page/toplevel',
        headers: { cookie, origin: app.url, 'content-type': 'application/x-www-form-urlencoded' },
        // No _revision: each save lands on top of the latest, so every request is a real write.
        body: (i) => new URLSearchParams({ version: `1.${i}.${Math.random()}`, instance_name: 'bench', debug_mode: 'on', logging_level: 'info' }).toString(),
        expect: 303,
      },
    ],
  ];
  const rows: string[] = [];
  const baseline: Record<number, Result> = {};
  for (const concurrency of [1, 16] as const) {
    for (const [name, url, req] of scenarios) {
      const r = await measure(url, req, concurrency);
      baseline[concurrency] ??= r;
      const ratio = baseline[concurrency]!.rps / r.rps;
      rows.push(
        `| ${name} | ${concurrency} | ${r.rps.toFixed(0)} | ${r.p50.toFixed(2)} | ${r.p99.toFixed(2)} | ${ratio === 1 ? 'baseline' : `${ratio.toFixed(1)}× slower`} |`,
      );
    }
  }
  const { rows: saved } = await app.db().execute('SELECT count(*) AS n FROM changes');
  console.log(`\nSwitchyard bench: medians of ${ROUNDS} rounds (${REQUESTS[1]} requests at c=1, ${REQUESTS[16]} at c=16), node ${process.version}\n`);
  console.log('| scenario | concurrency | req/s | p50 ms | p99 ms | vs hello world |');
  console.log('|---|---:|---:|---:|---:|---|');
  for (const row of rows) console.log(row);
  console.log(`\n${saved[0]!.n} saves written to the database during the run.`);
} finally {
  await app.stop();
  await hello.stop();
}
