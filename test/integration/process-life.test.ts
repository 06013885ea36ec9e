/**
 * The processes the README starts, stopped the way a supervisor stops them:
 * a signal to the top process only (npm), not to its whole group.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { readdirSync, readFileSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runnerToken } from '../helpers/runner.ts';
import { EXAMPLE_CONFIG, freePort, ROOT, startServer, testEnv } from '../helpers/server.ts';

/** Pids of the node processes running `script` whose environment names `mark` (this test's folder). */
function processes(script: string, mark: string): number[] {
  const found: number[] = [];
  for (const d of readdirSync('/proc').filter((n) => /^\d+$/.test(n))) {
    try {
      const argv = readFileSync(`/proc/${d}/cmdline`, 'utf8').split('\0');
      // Node itself, not the `sh -c` npm runs it through.
      if (/(^|\/)node$/.test(argv[0]!) && argv.some((a) => a.endsWith(script)) && readFileSync(`/proc/${d}/environ`, 'utf8').includes(mark)) found.push(Number(d));
    } catch {
      /* gone */
    }
  }
  return found;
}

async function until(what: string, check: () => boolean, ms = 20_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting until ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

function npm(args: string[], env: NodeJS.ProcessEnv): { child: ChildProcess; output: () => string } {
  const child = spawn('npm', args, { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout!.on('data', (d) => (out += d));
  child.stderr!.on('data', (d) => (out += d));
  return { child, output: () => out };
}

const killAll = (pids: number[]) => pids.forEach((p) => {
  try {
    process.kill(p, 'SIGKILL');
  } catch {
    /* gone */
  }
});

describe('npm start under a supervisor', () => {
  it.each(['SIGTERM', 'SIGINT'] as const)('stops the app and its local runner on %s to npm alone', async (signal) => {
    const dir = mkdtempSync(join(tmpdir(), 'switchyard-test-'));
    writeFileSync(join(dir, 'config.yaml'), EXAMPLE_CONFIG);
    const port = await freePort();
    const mark = `SWITCHYARD_CONFIG=${join(dir, 'config.yaml')}`;
    const { child, output } = npm(['start'], testEnv(dir, { PORT: String(port), SWITCHYARD_LOCAL_RUNNER: '1' }));
    try {
      await until('the local runner serves', () => output().includes('runner: serving'));
      const app = processes('src/cli/start.ts', mark);
      const runner = processes('runner/main.ts', mark);
      expect(app).toHaveLength(1);
      expect(runner).toHaveLength(1);
      child.kill(signal);
      await until('the app and the runner are gone', () => processes('src/cli/start.ts', mark).length + processes('runner/main.ts', mark).length === 0, 15_000);
      await expect(fetch(`http://127.0.0.1:${port}/login`)).rejects.toThrow();
    } finally {
      killAll([...processes('src/cli/start.ts', mark), ...processes('runner/main.ts', mark)]);
      child.kill('SIGKILL');
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('npm run runner under a supervisor', () => {
  it('stops the runner on SIGTERM to npm alone', async () => {
    const server = await startServer();
    const mark = `SWITCHYARD_RUNNER_ROOT=${server.dir}`;
    const token = await runnerToken(server, 'supervised');
    const { child, output } = npm(['run', 'runner'], { ...testEnv(server.dir), SWITCHYARD_URL: server.url, SWITCHYARD_RUNNER_TOKEN: token, SWITCHYARD_RUNNER_ROOT: server.dir, SWITCHYARD_DATA_DIR: server.dataDir });
    try {
      await until('the runner serves', () => output().includes('runner: serving'));
      expect(processes('runner/main.ts', mark)).toHaveLength(1);
      child.kill('SIGTERM');
      await until('the runner is gone', () => processes('runner/main.ts', mark).length === 0, 15_000);
    } finally {
      killAll(processes('runner/main.ts', mark));
      child.kill('SIGKILL');
      await server.stop();
    }
  });
});
