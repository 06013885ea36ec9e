/**
 * `npm run bench:node-flags`: the app's Node options (src/cli/node-flags.ts)
 * against others, on logged-in page GETs at c=16: the rate, p50 and p99 of
 * each, and its RSS after the load. The servers run side by side and are
 * measured in turns, so each sees the same machine.
 */
import { Client } from '../test/helpers/client.ts';
import { startServer, type TestServer } from '../test/helpers/server.ts';
import { APP_NODE_FLAGS } from '../src/cli/node-flags.ts';
import { load, median, type Req, type Result } from './load.ts';
import { rssMb } from './memory.ts';

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 5);
const PER_ROUND = 4000;
const CANDIDATES: [string, readonly string[]][] = [
  [`as shipped: ${APP_NODE_FLAGS.join(' ')}`, APP_NODE_FLAGS],
  ...[4, 8, 16].map((mb): [string, string[]] => [`--max-semi-space-size=${mb} --max-old-space-size=256`, [`--max-semi-space-size=${mb}`, '--max-old-space-size=256']]),
  ["Node's defaults", []],
];

const servers: { name: string; app: TestServer; req: Req; rounds: Result[] }[] = [];
try {
  for (const [name, flags] of CANDIDATES) {
    const app = await startServer({ nodeFlags: flags, users: [{ name: 'bench', role: 'editor', password: 'bench-password' }] });
    const c = new Client(app.url);
    await c.login('bench', 'bench-password');
    const req: Req = { method: 'GET', path: '/page/toplevel', headers: { cookie: c.cookieHeader() }, expect: 200 };
    await load(app.url, req, 16, 500);
    servers.push({ name, app, req, rounds: [] });
  }
  for (let i = 0; i < ROUNDS; i++) for (const s of servers) s.rounds.push(await load(s.app.url, s.req, 16, PER_ROUND));
  console.log(`\nPage GET at c=16 under each set of Node options: medians of ${ROUNDS} rounds of ${PER_ROUND}, in turns\n`);
  console.log('| Node options | req/s | p50 ms | p99 ms | RSS after MB |');
  console.log('|---|---:|---:|---:|---:|');
  for (const s of servers) {
    const m = (k: 'rps' | 'p50' | 'p99') => median(s.rounds.map((r) => r[k]));
    console.log(`| ${s.name} | ${m('rps').toFixed(0)} | ${m('p50').toFixed(2)} | ${m('p99').toFixed(2)} | ${rssMb(s.app.pid()).toFixed(0)} |`);
  }
} finally {
  for (const s of servers) await s.app.stop();
}
