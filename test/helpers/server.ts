/**
 * Starts the real built server (`src/cli/start.ts` with the built bundle) on a
 * free port, with its own data folder and config file, and stops it after.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { createClient, type Client } from '@libsql/client';
import { APP_MALLOC_ENV, APP_NODE_FLAGS } from '../../src/cli/node-flags.ts';

export const ROOT = resolve(import.meta.dirname, '../..');
export const EXAMPLE_CONFIG = readFileSync(join(ROOT, 'config.yaml'), 'utf8');

export async function freePort(): Promise<number> {
  return new Promise((ok, fail) => {
    const s = createServer();
    s.once('error', fail);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => ok(port));
    });
  });
}

export interface TestServer {
  url: string;
  dir: string;
  configPath: string;
  dataDir: string;
  output: () => string;
  /**
   * Stops the process and starts it again on the same port, folder and database;
   * with `signal: 'SIGKILL'` it dies without a word, and `downMs` keeps it down that long;
   * `whileDown` runs while it is stopped (a restore, say).
   */
  restart: (opts?: { signal?: 'SIGTERM' | 'SIGKILL'; downMs?: number; whileDown?: () => Promise<void> }) => Promise<void>;
  /** The server process's pid (for SIGSTOP and the like). */
  pid: () => number;
  /** A client on the server's database file, for checking what was written. */
  db: () => Client;
  stop: () => Promise<void>;
}

export interface TestUser {
  name: string;
  role: 'viewer' | 'operator' | 'editor' | 'admin';
  password: string;
}

export interface StartOptions {
  config?: string;
  /** Node's options instead of those the app ships with (src/cli/node-flags.ts), to compare them. */
  nodeFlags?: readonly string[];
  env?: Record<string, string>;
  /** Created with the user command before the server starts. */
  users?: TestUser[];
  /** Files written below the server's folder first (`.sh` files made executable), e.g. scripts. */
  files?: Record<string, string>;
  /** Serve HTTPS (with SWITCHYARD_TLS_CERT/KEY in env); readiness is then checked over TLS. */
  https?: boolean;
  /** Run from the server's folder (the root of the local runner `npm start` starts) instead of the repository. */
  cwdInDir?: boolean;
}

export function testEnv(dir: string, extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  return {
    ...process.env,
    SWITCHYARD_SKIP_BUILD: '1',
    // Tests that need a runner start their own, so they control it.
    SWITCHYARD_LOCAL_RUNNER: '0',
    // Likewise schedules: the example's nightly backup must not fire in a test that happens to run at 03:00.
    SWITCHYARD_SCHEDULER: '0',
    SWITCHYARD_CONFIG: join(dir, 'config.yaml'),
    SWITCHYARD_DATA_DIR: join(dir, 'data'),
    HOST: '127.0.0.1',
    ...extra,
  };
}

/** Runs the server until it serves /login, or fails with everything it printed. */
export async function startServer(opts: StartOptions = {}): Promise<TestServer> {
  const dir = mkdtempSync(join(tmpdir(), 'switchyard-test-'));
  const configPath = join(dir, 'config.yaml');
  writeFileSync(configPath, opts.config ?? EXAMPLE_CONFIG);
  for (const [path, content] of Object.entries(opts.files ?? {})) {
    mkdirSync(dirname(join(dir, path)), { recursive: true });
    writeFileSync(join(dir, path), content, { mode: path.endsWith('.sh') ? 0o755 : 0o644 });
  }
  for (const u of opts.users ?? []) {
    const r = await runUserCommand(dir, ['add', u.name, '--role', u.role, '--password-stdin'], u.password);
    if (r.code !== 0) throw new Error(`could not create ${u.name}: ${r.stderr}`);
  }
  const port = await freePort();
  let out = '';
  const url = `${opts.https ? 'https' : 'http'}://127.0.0.1:${port}`;
  const launch = async () => {
    // With the V8 options and malloc setting it ships with, so tests and benches see the memory it has.
    const c = spawn(process.execPath, [...(opts.nodeFlags ?? APP_NODE_FLAGS), join(ROOT, 'src/cli/start.ts')], {
      cwd: opts.cwdInDir ? dir : ROOT,
      env: testEnv(dir, { ...APP_MALLOC_ENV, PORT: String(port), ...opts.env }),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    c.stdout!.on('data', (d) => (out += d));
    c.stderr!.on('data', (d) => (out += d));
    await waitUntilServing(c, url, () => out);
    return c;
  };
  let child = await launch();
  let client: Client | undefined;
  return {
    url,
    dir,
    configPath,
    dataDir: join(dir, 'data'),
    output: () => out,
    async restart({ signal = 'SIGTERM', downMs = 0, whileDown } = {}) {
      if (signal === 'SIGKILL') {
        const exited = new Promise((r) => child.once('exit', r));
        child.kill('SIGKILL');
        await exited;
      } else await stopProcess(child);
      await new Promise((r) => setTimeout(r, downMs));
      await whileDown?.();
      child = await launch();
    },
    pid: () => child.pid!,
    db: () => (client ??= createClient({ url: `file:${join(dir, 'data', 'switchyard.db')}`, timeout: 5000 })),
    async stop() {
      client?.close();
      await stopProcess(child);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export async function waitUntilServing(child: ChildProcess, url: string, out: () => string): Promise<void> {
  const deadline = Date.now() + 20_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`server exited with ${child.exitCode}:\n${out()}`);
    // Over HTTPS (a self-signed test certificate) the printed line says it is listening.
    if (url.startsWith('https:') && out().includes('Switchyard is serving')) return;
    try {
      // The line comes after the first admin is made, which happens once the server listens.
      const res = await fetch(`${url}/login`);
      if (res.status === 200 && out().includes('Switchyard is serving')) return;
    } catch {
      /* not listening yet */
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  child.kill('SIGKILL');
  throw new Error(`server did not start within 20 s:\n${out()}`);
}

export async function stopProcess(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((r) => child.once('exit', r));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
  await exited;
  clearTimeout(timer);
}

/** Runs `npm run user -- …` the way the README does, through the same script. */
export function runUserCommand(dir: string, args: string[], stdin = ''): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((ok) => {
    const child = spawn(process.execPath, [join(ROOT, 'src/cli/user.ts'), ...args], { cwd: ROOT, env: testEnv(dir) });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('close', (code) => ok({ code: code ?? -1, stdout, stderr }));
    child.stdin.end(stdin);
  });
}
