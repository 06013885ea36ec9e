/**
 * `npm start -- --config <file>`: a site in a folder of its own (as the
 * examples are) serves from that file, keeps its data in <folder>/app_data,
 * and the local runner runs the scripts of that folder; `npm run user` takes
 * the same flag. A flag without a file stops the start with a clear message.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Client } from '../helpers/client.ts';
import { ended, waitForRun } from '../helpers/runs.ts';
import { freePort, ROOT, stopProcess, waitUntilServing } from '../helpers/server.ts';

const CONFIG = `toplevel_title: A site of its own
pages:
  - slug: here
    title: Here
    buttons:
      - {name: hello, label: Hello, script_path: scripts/hello.sh, status_file: app_data/status/hello.json, report_path: app_data/reports/hello.log}
`;

let tmp: string;
let site: string;
let server: ChildProcess | undefined;

/** The environment of a person at a shell: none of the variables the flag stands for. */
function shellEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, SWITCHYARD_SKIP_BUILD: '1', SWITCHYARD_SCHEDULER: '0', HOST: '127.0.0.1', ...extra };
  for (const k of ['SWITCHYARD_CONFIG', 'SWITCHYARD_DATA_DIR', 'SWITCHYARD_RUNNER_ROOT', 'SWITCHYARD_DB_URL', 'SWITCHYARD_LOCAL_RUNNER']) delete env[k];
  return env;
}

function run(script: string, args: string[], stdin = ''): Promise<{ code: number; out: string }> {
  return new Promise((ok) => {
    const child = spawn(process.execPath, [join(ROOT, script), ...args], { cwd: ROOT, env: shellEnv() });
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (out += d));
    child.on('close', (code) => ok({ code: code ?? -1, out }));
    child.stdin.end(stdin);
  });
}

beforeAll(() => {
  tmp = mkdtempSync(join(tmpdir(), 'switchyard-config-flag-'));
  site = join(tmp, 'site');
  mkdirSync(join(site, 'scripts'), { recursive: true });
  writeFileSync(join(site, 'config.yaml'), CONFIG);
  // Runs in the runner's root: the file lands beside config.yaml only if that is the root.
  writeFileSync(join(site, 'scripts/hello.sh'), '#!/usr/bin/env bash\necho "hello from $(pwd)" | tee made-by-hello.txt\n', { mode: 0o755 });
});
afterAll(async () => {
  if (server) await stopProcess(server);
  rmSync(tmp, { recursive: true, force: true });
});

describe('--config', { timeout: 60_000 }, () => {
  it('gives npm run user and npm run runner-token the site\'s database in its folder', async () => {
    const r = await run('src/cli/user.ts', ['add', 'ana', '--role', 'operator', '--password-stdin', '--config', join(site, 'config.yaml')], 'ana-password-1');
    expect(r.code, r.out).toBe(0);
    expect(existsSync(join(site, 'app_data', 'switchyard.db'))).toBe(true);
    const runner = await run('src/cli/runner-token.ts', ['create', 'lab', '--config', join(site, 'config.yaml')]);
    expect(runner.code, runner.out).toBe(0);
    const listed = await run('src/cli/runner-token.ts', [`--config=${join(site, 'config.yaml')}`, 'list']);
    expect(listed.out).toMatch(/^lab\tactive\tnever seen/m);
  });

  it('serves the site from its file, with its data and its scripts in its folder', async () => {
    const port = await freePort();
    let out = '';
    server = spawn(process.execPath, [join(ROOT, 'src/cli/start.ts'), '--config', join(site, 'config.yaml')], { cwd: ROOT, env: shellEnv({ PORT: String(port) }), stdio: ['ignore', 'pipe', 'pipe'] });
    server.stdout!.on('data', (d) => (out += d));
    server.stderr!.on('data', (d) => (out += d));
    const url = `http://127.0.0.1:${port}`;
    await waitUntilServing(server, url, () => out);
    expect(out).toContain(`Switchyard is serving ${join(site, 'config.yaml')}`);
    expect(out).toContain(`(data in ${join(site, 'app_data')})`);

    const c = new Client(url);
    await c.login('ana', 'ana-password-1');
    const started = await c.post('/page/here/run/hello', {});
    expect(started.status).toBe(303);
    const id = Number(/\/runs\/(\d+)$/.exec(started.headers.get('location')!)![1]);
    const done = await waitForRun<{ state: string }>(c, id, ended);
    expect(done.state).toBe('succeeded');
    expect(readFileSync(join(site, 'made-by-hello.txt'), 'utf8')).toBe(`hello from ${site}\n`);
  });

  it('names the same site in the commands it prints, so following them reaches this site', async () => {
    const { siteFlag } = await import('../../src/cli/site-flag.ts');
    expect(siteFlag(['--config', join(site, 'config.yaml')])).toBe(` --config ${join(site, 'config.yaml')}`);
    expect(siteFlag([`--config=${join(ROOT, 'config.yaml')}`])).toBe(' --config config.yaml');
    expect(siteFlag([])).toBe('');
  });

  it('stops a start whose flag names no file, saying so', async () => {
    const r = await run('src/cli/start.ts', ['--config', join(tmp, 'nowhere.yaml')]);
    expect(r.code).toBe(1);
    expect(r.out).toContain(`Switchyard cannot start: --config ${join(tmp, 'nowhere.yaml')}: no such file.`);
    const bare = await run('src/cli/user.ts', ['list', '--config']);
    expect(bare.code).toBe(2);
  });
});
