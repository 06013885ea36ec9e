/**
 * `npm run bench:git`: save-to-commit latency. Each save is made over HTTP and
 * timed until its commit is recorded (publication row updated), with a local
 * working copy alone and with a push to a bare remote. The baseline, in the
 * same run, is plain `git add` + `git commit` of the same kind of file.
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

async function measure(local: string, prepare?: (dir: string) => void, saves = SAVES, env: Record<string, string> = {}, afterWarmUp?: () => void): Promise<number[]> {
  const server = await startServer({ config: `${EXAMPLE_CONFIG}\ngit:\n  local:\n${local.replace(/^/gm, '    ')}\n`, users: [{ name: 'bench', role: 'editor', password: 'bench-password' }], env });
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
      for (;;) {
        const { rows } = await db.execute({ sql: `SELECT state FROM publications WHERE change_id = ?`, args: [id] });
        if (rows[0]?.state === 'committed') break;
        if (rows[0]?.state === 'conflict') throw new Error(`save ${id} conflicted`);
        await new Promise((r) => setTimeout(r, 1));
      }
      if (i >= 5) out.push(performance.timeOrigin + performance.now() - t0); // 5 warm-up saves
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
    await measure(local, prepare, saves, { PATH: `${dir}:${process.env.PATH}` }, () => writeFileSync(log, ''));
    const names = readFileSync(log, 'utf8').split('\n').filter(Boolean);
    const counts = new Map<string, number>();
    for (const n of names) counts.set(n, (counts.get(n) ?? 0) + 1);
    const commands = [...counts].map(([n, k]) => `${n} ${Math.round((k / saves) * 10) / 10}`).join(', ');
    return { perSave: names.length / saves, commands };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

async function baseline(): Promise<number[]> {
  const dir = mkdtempSync(join(tmpdir(), 'switchyard-bench-git-'));
  try {
    execFileSync('git', [...IDENT, 'init', '--quiet', dir]);
    const out: number[] = [];
    for (let i = 0; i < SAVES; i++) {
      const t0 = performance.now();
      writeFileSync(join(dir, 'values.yaml'), `inputs_directory: /mnt/bench/${i}\n`);
      await execa('git', [...IDENT, '-C', dir, 'add', 'values.yaml']);
      await execa('git', [...IDENT, '-C', dir, 'commit', '--quiet', '-m', `bench ${i}`]);
      out.push(performance.now() - t0);
    }
    return out;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const rows: [string, number[]][] = [
  ['save → commit, local working copy (Switchyard)', await measure(LOCAL)],
  ['save → commit pushed to a bare remote (Switchyard)', await measure(PUSHED, withRemote)],
  ['git add + git commit of one file (baseline)', await baseline()],
];
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
const ratio = stats(rows[0]![1]).p50 / stats(rows[2]![1]).p50;
console.log(`\nlocal save → commit p50 / baseline p50: ${ratio.toFixed(2)}× (goal p50 < 2×: ${ratio < 2 ? 'met' : 'not yet'})`);
console.log('\ngit processes per save (the baseline starts 2):');
for (const [name, c] of counted) console.log(`- ${name}: ${c.perSave.toFixed(1)} (${c.commands})`);
