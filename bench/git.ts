/**
 * `npm run bench:git`: save-to-commit latency. Each save is made over HTTP and
 * timed until its commit is recorded (publication row updated), with a local
 * working copy alone and with a push to a bare remote. The baseline is plain
 * `git add` + `git commit` of the same kind of file, one after each local
 * save, so that on a noisy machine both see the same load.
 * A short untimed run then counts the git processes a save starts, through
 * a `git` on PATH that notes its command and hands over to the real one.
 */
import { execFileSync } from 'node:child_process';
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { Client, revisionOf } from '../test/helpers/client.ts';
import { EXAMPLE_CONFIG, startServer } from '../test/helpers/server.ts';
import { latencyGoal, finish, type GoalRow } from './goals.ts';
import { percentile } from './load.ts';

const SAVES = Number(process.env.BENCH_SAVES ?? 100);
const IDENT = ['-c', 'user.name=Bench', '-c', 'user.email=bench@example.org', '-c', 'init.defaultBranch=main'];
const stats = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return { n: s.length, p50: percentile(s, 50), p95: percentile(s, 95), p99: percentile(s, 99) };
};

const LOCAL = 'path: repo\nbranch: main';
const PUSHED = 'path: work\nbranch: main\nremote: origin';
function withRemote(dir: string): void {
  execFileSync('git', [...IDENT, 'init', '--bare', '--quiet', join(dir, 'remote.git')]);
  execFileSync('git', [...IDENT, 'clone', '--quiet', join(dir, 'remote.git'), join(dir, 'work')], { stdio: 'ignore' });
}

interface MeasureOptions {
  prepare?: (dir: string) => void;
  saves?: number;
  env?: Record<string, string>;
  afterWarmUp?: () => void;
  /** Gets the part of each save's time after its HTTP answer (the publication's own share). */
  afterAnswer?: number[];
  /** Runs after each save (the baseline, interleaved so that both see the same load on a noisy machine). */
  between?: (i: number) => Promise<void>;
}

/** Times of saves until their commit is recorded. */
async function measure(local: string, { prepare, saves = SAVES, env = {}, afterWarmUp, afterAnswer = [], between }: MeasureOptions = {}): Promise<number[]> {
  // Looks for changes made in Git are kept out of the publication figures unless asked for (see lookCost).
  const server = await startServer({ config: `${EXAMPLE_CONFIG}\ngit:\n  local:\n${local.replace(/^/gm, '    ')}\n`, users: [{ name: 'bench', role: 'editor', password: 'bench-password' }], env: { SWITCHYARD_GIT_POLL_MS: '600000', ...env } });
  try {
    prepare?.(server.dir);
    const c = new Client(server.url);
    await c.login('bench', 'bench-password');
    const db = server.db();
    const out: number[] = [];
    for (let i = 0; i < saves + 5; i++) {
      if (i === 5) afterWarmUp?.();
      const rev = revisionOf(await (await c.get('/page/data-processing')).text());
      const t0 = performance.timeOrigin + performance.now();
      const res = await c.post('/page/data-processing', { inputs_directory: `/mnt/bench/${i}`, _revision: rev });
      const id = Number(res.headers.get('location')!.split('saved=')[1]);
      const answered = performance.timeOrigin + performance.now();
      for (;;) {
        const { rows } = await db.execute({ sql: `SELECT state FROM publications WHERE change_id = ?`, args: [id] });
        if (rows[0]?.state === 'committed') break;
        if (rows[0]?.state === 'conflict') throw new Error(`save ${id} conflicted`);
        await new Promise((r) => setTimeout(r, 1));
      }
      const done = performance.timeOrigin + performance.now();
      if (i >= 5) out.push(done - t0); // 5 warm-up saves
      if (i >= 5) afterAnswer.push(done - answered);
      await between?.(i);
    }
    return out;
  } finally {
    await server.stop();
  }
}

/** The git commands one save starts, averaged over `saves` saves after the warm-up: a `git` first on PATH writes each down. */
async function gitProcesses(local: string, prepare?: (dir: string) => void, saves = 10): Promise<{ perSave: number; commands: string }> {
  const dir = mkdtempSync(join(tmpdir(), 'switchyard-bench-gitcount-'));
  try {
    const log = join(dir, 'commands');
    const real = execFileSync('sh', ['-c', 'command -v git'], { encoding: 'utf8' }).trim();
    // Switchyard runs `git -C <dir> <command> …`: the command is the third argument.
    writeFileSync(join(dir, 'git'), `#!/bin/sh\necho "$3" >> '${log}'\nexec '${real}' "$@"\n`);
    chmodSync(join(dir, 'git'), 0o755);
    await measure(local, { prepare, saves, env: { PATH: `${dir}:${process.env.PATH}` }, afterWarmUp: () => writeFileSync(log, '') });
    const names = readFileSync(log, 'utf8').split('\n').filter(Boolean);
    const counts = new Map<string, number>();
    for (const n of names) counts.set(n, (counts.get(n) ?? 0) + 1);
    const commands = [...counts].map(([n, k]) => `${n} ${Math.round((k / saves) * 10) / 10}`).join(', ');
    return { perSave: names.length / saves, commands };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Plain `git add` + `git commit` of one file in a repository of its own: the baseline, one commit at a time. */
function plainCommits(): { commit: (i: number) => Promise<void>; times: number[]; close: () => void } {
  const dir = mkdtempSync(join(tmpdir(), 'switchyard-bench-git-'));
  execFileSync('git', [...IDENT, 'init', '--quiet', dir]);
  const times: number[] = [];
  const commit = async (i: number) => {
    const t0 = performance.now();
    writeFileSync(join(dir, 'values.yaml'), `inputs_directory: /mnt/bench/${i}\n`);
    await execa('git', [...IDENT, '-C', dir, 'add', 'values.yaml']);
    await execa('git', [...IDENT, '-C', dir, 'commit', '--quiet', '-m', `bench ${i}`]);
    if (i >= 5) times.push(performance.now() - t0);
  };
  return { commit, times, close: () => rmSync(dir, { recursive: true, force: true }) };
}

/**
 * What looking at the branch for changes made in Git costs the saves: a working
 * copy with a remote looked at every 200 ms (a fetch, a rev-parse, and a tree
 * listing when it moved, each time) against looks switched off, in alternating
 * rounds so both see the same load.
 */
async function lookCost(rounds = 2): Promise<{ off: number[]; every200ms: number[] }> {
  const off: number[] = [];
  const every200ms: number[] = [];
  const saves = Math.max(10, Math.round(SAVES / 2));
  for (let r = 0; r < rounds; r++) {
    off.push(...(await measure(PUSHED, { prepare: withRemote, saves })));
    every200ms.push(...(await measure(PUSHED, { prepare: withRemote, saves, env: { SWITCHYARD_GIT_POLL_MS: '200' } })));
  }
  return { off, every200ms };
}

export async function gitBench(): Promise<GoalRow[]> {
  const localAfterAnswer: number[] = [];
  const baseline = plainCommits();
  const local = await measure(LOCAL, { afterAnswer: localAfterAnswer, between: baseline.commit }).finally(baseline.close);
  const plain = baseline.times;
  const pushed = await measure(PUSHED, { prepare: withRemote });
  const rows: [string, number[]][] = [
    ['save → commit, local working copy (Switchyard)', local],
    ['… of which after the save was answered (local)', localAfterAnswer],
    ['save → commit pushed to a bare remote (Switchyard)', pushed],
    ['git add + git commit of one file (baseline, one after each local save)', plain],
  ];
  const looks = await lookCost();
  rows.push(
    ['save → commit pushed, no looks for changes made in Git', looks.off],
    ['save → commit pushed, the branch looked at every 200 ms', looks.every200ms],
  );
  const counted: [string, Awaited<ReturnType<typeof gitProcesses>>][] = [
    ['local working copy', await gitProcesses(LOCAL)],
    ['pushed to a bare remote', await gitProcesses(PUSHED, withRemote)],
  ];
  console.log(`\nSwitchyard git bench: ${SAVES} saves each, node ${process.version}\n`);
  console.log('| measure | samples | p50 ms | p95 ms | p99 ms |');
  console.log('|---|---:|---:|---:|---:|');
  for (const [name, xs] of rows) {
    const s = stats(xs);
    console.log(`| ${name} | ${s.n} | ${s.p50.toFixed(1)} | ${s.p95.toFixed(1)} | ${s.p99.toFixed(1)} |`);
  }
  // The goal: a save's commit in the local working copy within twice a plain add + commit, measured in this run.
  const ratio = stats(local).p50 / stats(plain).p50;
  console.log(`\nlocal save → commit p50 / baseline p50: ${ratio.toFixed(2)}× (goal p50 < 2×: ${ratio < 2 ? 'met' : 'not yet'})`);
  console.log(`pushed save → commit p50 with the branch looked at every 200 ms / without looks: ${(stats(looks.every200ms).p50 / stats(looks.off).p50).toFixed(2)}×`);
  console.log('\ngit processes per save (the baseline starts 2):');
  for (const [name, c] of counted) console.log(`- ${name}: ${c.perSave.toFixed(1)} (${c.commands})`);
  const s = { local: stats(local), plain: stats(plain) };
  return [latencyGoal('save → local Git commit (form save until its commit is recorded)', s.local, 'git add + git commit of one file', s.plain, 2)];
}

if (import.meta.main) finish(await gitBench());
