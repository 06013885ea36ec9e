/**
 * `npm run bench:git`: save-to-commit latency. Each save is made over HTTP and
 * timed until its commit is recorded (publication row updated), with a local
 * working copy alone and with a push to a bare remote. The baseline, in the
 * same run, is plain `git add` + `git commit` of the same kind of file.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
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

async function measure(local: string, prepare?: (dir: string) => void): Promise<number[]> {
  const server = await startServer({ config: `${EXAMPLE_CONFIG}\ngit:\n  local:\n${local.replace(/^/gm, '    ')}\n`, users: [{ name: 'bench', role: 'editor', password: 'bench-password' }] });
  try {
    prepare?.(server.dir);
    const c = new Client(server.url);
    await c.login('bench', 'bench-password');
    const db = server.db();
    const out: number[] = [];
    for (let i = 0; i < SAVES + 5; i++) {
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
  ['save → commit, local working copy (Switchyard)', await measure('path: repo\nbranch: main')],
  [
    'save → commit pushed to a bare remote (Switchyard)',
    await measure('path: work\nbranch: main\nremote: origin', (dir) => {
      execFileSync('git', [...IDENT, 'init', '--bare', '--quiet', join(dir, 'remote.git')]);
      execFileSync('git', [...IDENT, 'clone', '--quiet', join(dir, 'remote.git'), join(dir, 'work')], { stdio: 'ignore' });
    }),
  ],
  ['git add + git commit of one file (baseline)', await baseline()],
];
console.log(`\nSwitchyard git bench: ${SAVES} saves each, node ${process.version}\n`);
console.log('| measure | samples | p50 ms | p95 ms | p99 ms |');
console.log('|---|---:|---:|---:|---:|');
for (const [name, xs] of rows) {
  const s = stats(xs);
  console.log(`| ${name} | ${s.n} | ${s.p50.toFixed(1)} | ${s.p95.toFixed(1)} | ${s.p99.toFixed(1)} |`);
}
