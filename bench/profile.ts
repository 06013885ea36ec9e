/**
 * `npm run bench:profile`: a CPU profile of the built server while it serves
 * logged-in page GETs at concurrency 16, and the functions that took the most
 * of its time, grouped by package. The raw profile is kept (PROFILE_DIR) for
 * Chrome's DevTools.
 */
import { mkdirSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Client } from '../test/helpers/client.ts';
import { startServer } from '../test/helpers/server.ts';
import { load, unexpectedText } from './load.ts';

const DIR = process.env.PROFILE_DIR ?? join(process.cwd(), 'bench-profile');
const PATH = process.env.PROFILE_PATH ?? '/page/toplevel';
mkdirSync(DIR, { recursive: true });

const server = await startServer({
  users: [{ name: 'bench', role: 'admin', password: 'bench-password' }],
  env: { NODE_OPTIONS: `--cpu-prof --cpu-prof-dir=${DIR}`, SWITCHYARD_LOG_LEVEL: 'warn' },
});
const c = new Client(server.url);
await c.login('bench', 'bench-password');
const req = { method: 'GET' as const, path: PATH, headers: { cookie: c.cookieHeader() }, expect: 200 };
await load(server.url, req, 16, 500);
const result = await load(server.url, req, 16, 5000);
const rssMb = Number(/VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${server.pid()}/status`, 'utf8'))?.[1] ?? NaN) / 1024;
await server.stop();
console.log(`${PATH} at c=16: ${result.rps.toFixed(0)} req/s, p50 ${result.p50.toFixed(2)} ms, p99 ${result.p99.toFixed(2)} ms; server RSS after the load ${rssMb.toFixed(0)} MB; unexpected answers: ${unexpectedText(result.unexpected)}`);

type Node = { id: number; callFrame: { functionName: string; url: string; lineNumber: number }; hitCount: number; children?: number[] };
const file = readdirSync(DIR).filter((f) => f.endsWith('.cpuprofile')).sort().at(-1)!;
const profile = JSON.parse(readFileSync(join(DIR, file), 'utf8')) as { nodes: Node[] };
const total = profile.nodes.reduce((n, x) => n + x.hitCount, 0);
const where = (url: string) => url.match(/node_modules\/((?:@[^/]+\/)?[^/]+)/)?.[1] ?? (url.includes('/dist/') ? 'switchyard (built)' : url.startsWith('node:') ? 'node' : url ? 'switchyard' : '(native/idle)');
const byPackage = new Map<string, number>();
const byFunction = new Map<string, number>();
for (const n of profile.nodes) {
  byPackage.set(where(n.callFrame.url), (byPackage.get(where(n.callFrame.url)) ?? 0) + n.hitCount);
  const key = `${n.callFrame.functionName || '(anonymous)'} ${n.callFrame.url.split('/').slice(-2).join('/')}:${n.callFrame.lineNumber + 1}`;
  byFunction.set(key, (byFunction.get(key) ?? 0) + n.hitCount);
}
const pct = (n: number) => `${((100 * n) / total).toFixed(1)} %`;
console.log(`\nSelf time by package (${file}):`);
for (const [k, v] of [...byPackage].sort((a, b) => b[1] - a[1]).slice(0, 12)) console.log(`  ${pct(v).padStart(7)}  ${k}`);
console.log('\nSelf time by function:');
for (const [k, v] of [...byFunction].sort((a, b) => b[1] - a[1]).slice(0, 25)) console.log(`  ${pct(v).padStart(7)}  ${k}`);
