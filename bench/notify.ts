/**
 * What notifications cost the action that causes them: recordSave's latency
 * on a real database with no notify targets (the baseline), with a webhook
 * target subscribed to every save whose receiver answers at once, and with
 * one whose receiver never answers (each delivery waits out its deadline).
 * The delivery worker runs throughout. Rounds of each kind are interleaved,
 * each round beginning with another kind, after one warm-up round, so the
 * machine's noise falls on all three alike; medians are reported.
 *
 *   npm run bench:notify        (SAVES=200 ROUNDS=5 to change the size)
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createApp, type App } from '../src/server/app.ts';
import { readSettings } from '../src/server/settings.ts';
import { createUser } from '../src/server/users.ts';
import { recordSave } from '../src/server/save.ts';
import { startDeliveries } from '../src/server/notify/worker.ts';
import { webhookReceiver } from '../test/helpers/receivers.ts';
import { finish, printGoals, type GoalRow } from './goals.ts';

const SAVES = Number(process.env.SAVES ?? 200);
const ROUNDS = Number(process.env.ROUNDS ?? 5);
process.env.BENCH_HOOK_SECRET = 'bench-notify-key';

const config = (notify: string) => `toplevel_title: Bench
${notify}pages:
  - slug: p
    title: P
    parameters:
      - {name: n, type: integer}
`;

interface Setup { app: App; stop: () => void; dir: string; user: { id: number; username: string } }

async function setup(notify: string): Promise<Setup> {
  const dir = mkdtempSync(join(tmpdir(), 'switchyard-bench-notify-'));
  mkdirSync(join(dir, 'data'));
  writeFileSync(join(dir, 'config.yaml'), config(notify));
  const app = await createApp(readSettings({ SWITCHYARD_CONFIG: join(dir, 'config.yaml'), SWITCHYARD_DATA_DIR: join(dir, 'data'), SWITCHYARD_DELIVERY_TIMEOUT_MS: '10000' }));
  const u = await createUser(app.db, { username: 'bench', password: 'bench-password', role: 'editor' });
  return { app, dir, stop: startDeliveries(app, () => {}), user: { id: u.id, username: u.username } };
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const p99 = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(xs.length * 0.99))]!;

let value = 0;
async function saves(s: Setup, out: number[]): Promise<void> {
  const page = (await s.app.config.current()).config.pages[0]!;
  for (let i = 0; i < SAVES; i++) {
    const t = performance.now();
    const r = await recordSave(s.app, page, { n: ++value }, undefined, { user: s.user, ip: '127.0.0.1' });
    out.push(performance.now() - t);
    if (r.status !== 'saved') throw new Error(r.status);
  }
}

const fast = await webhookReceiver('bench-notify-key');
const hung = await webhookReceiver('bench-notify-key');
hung.respond = () => 'hang';
const target = (url: string) => `notify:\n  targets:\n    - name: hook\n      webhook: {url: "${url}", secret_env: BENCH_HOOK_SECRET}\n      events: [values.saved]\n`;
const kinds = { none: await setup(''), fast: await setup(target(fast.url)), hung: await setup(target(hung.url)) };
const times: Record<keyof typeof kinds, number[]> = { none: [], fast: [], hung: [] };
const order = Object.keys(kinds) as (keyof typeof kinds)[];
for (const k of order) await saves(kinds[k], []); // warm-up, not counted
// Each round starts with another kind, so none is always the first after a pause.
for (let r = 0; r < ROUNDS; r++) for (let i = 0; i < order.length; i++) await saves(kinds[order[(r + i) % order.length]!], times[order[(r + i) % order.length]!]);

const base = median(times.none);
const rows: GoalRow[] = (['fast', 'hung'] as const).map((k) => ({
  path: `save (recordSave), a webhook subscribed, receiver ${k === 'fast' ? 'answering at once' : 'never answering'}`,
  p50: median(times[k]),
  p99: p99(times[k]),
  baseline: 'the same save with no notify targets',
  baseP50: base,
  ratio: `${(median(times[k]) / base).toFixed(2)}× the p50`,
  goal: 'p50 within 25 % of the baseline\'s (the save never waits for a receiver)',
  met: median(times[k]) <= base * 1.25,
}));
console.log(`${SAVES * ROUNDS} saves of each kind; receiver got ${fast.received.length} (answering), ${hung.received.length} (never answering, one at a time per target)`);
for (const s of Object.values(kinds)) {
  s.stop();
  s.app.db.close();
  rmSync(s.dir, { recursive: true, force: true });
}
await fast.close();
await hung.close();
printGoals(rows);
finish(rows);
