/** Starts real runner processes against a test server, with tokens made by the real command. */
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { RUNNER_NODE_FLAGS } from '../../src/cli/node-flags.ts';
import { ROOT, stopProcess, testEnv, type TestServer } from './server.ts';

export interface TestRunner {
  name: string;
  token: string;
  output: () => string;
  /** SIGTERM, and wait for the runner to exit. */
  stop: () => Promise<void>;
  /** SIGKILL: the runner dies without a word. */
  kill: () => Promise<void>;
  process: ChildProcess;
}

export async function runnerToken(server: TestServer, name: string): Promise<string> {
  return new Promise((ok, fail) => {
    const c = spawn(process.execPath, [join(ROOT, 'src/cli/runner-token.ts'), 'create', name], { cwd: ROOT, env: testEnv(server.dir) });
    let out = '';
    c.stdout.on('data', (d) => (out += d));
    c.stderr.on('data', (d) => (out += d));
    c.on('close', (code) => {
      const token = out.match(/^(syr_\S+)$/m)?.[1];
      if (code === 0 && token) ok(token);
      else fail(new Error(`runner-token create ${name} failed (${code}): ${out}`));
    });
  });
}

export interface RunnerOptions {
  /** A token made before (a runner started again under the same name); by default a new runner is created. */
  token?: string;
  /** Options for Node before the runner's script, e.g. `--import` of a module that shifts its clock. */
  nodeArgs?: string[];
}

export async function startRunner(server: TestServer, name: string, env: Record<string, string> = {}, opts: RunnerOptions = {}): Promise<TestRunner> {
  const token = opts.token ?? (await runnerToken(server, name));
  const child = spawn(process.execPath, [...RUNNER_NODE_FLAGS, ...(opts.nodeArgs ?? []), join(ROOT, 'runner/main.ts')], {
    cwd: server.dir,
    env: {
      ...testEnv(server.dir),
      SWITCHYARD_URL: server.url,
      SWITCHYARD_RUNNER_TOKEN: token,
      SWITCHYARD_RUNNER_ROOT: server.dir,
      SWITCHYARD_DATA_DIR: server.dataDir,
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout.on('data', (d) => (out += d));
  child.stderr.on('data', (d) => (out += d));
  // Ready once it has said where it serves.
  const deadline = Date.now() + 10_000;
  while (!out.includes('runner: serving')) {
    if (child.exitCode !== null) throw new Error(`runner ${name} exited: ${out}`);
    if (Date.now() > deadline) throw new Error(`runner ${name} did not start: ${out}`);
    await new Promise((r) => setTimeout(r, 20));
  }
  return {
    name,
    token,
    output: () => out,
    process: child,
    stop: () => stopProcess(child),
    async kill() {
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGKILL');
      await exited;
    },
  };
}
