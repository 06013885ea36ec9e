/**
 * deploy/switchyard.service's sandbox, rebuilt without systemd from the unit's
 * own settings: a private mount namespace with the system read-only but for
 * the data folder (ProtectSystem=strict), no /home (ProtectHome), a fresh /tmp
 * (PrivateTmp), an unprivileged user with no capabilities and no new
 * privileges, the unit's UMask, Environment= and ExecStart=. In there the built
 * app must serve, run a button through its local runner (whose script finds
 * the project's Node first on its PATH), publish a save to a Git working copy
 * below its data folder, and stop as systemd stops it (with KillMode=mixed,
 * SIGTERM to the app alone) with the run under way reported as cancelled.
 *
 * The seccomp-based options (RestrictAddressFamilies=, SystemCallArchitectures=,
 * LockPersonality=, RestrictNamespaces=, …) and PrivateDevices= are not rebuilt
 * here; test/unit/deploy.test.ts checks them with systemd-analyze verify only.
 * Needs root (for the namespace) and util-linux's unshare and setpriv.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { accessSync, chownSync, constants, existsSync, mkdirSync, mkdtempSync, readFileSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createClient } from '@libsql/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Client, getJson, postJson } from '../helpers/client.ts';
import { EXAMPLE_CONFIG, freePort, ROOT } from '../helpers/server.ts';
import { eventually } from '../helpers/eventually.ts';

const INSTALL_DIR = '/opt/switchyard';
const NOBODY = 65534;
/** Where the namespace shows the data and config folders (a tmpfs of its own, so the host is untouched). */
const INSIDE = { state: '/mnt/state', etc: '/mnt/etc' };

function unsupported(): string | undefined {
  if (process.getuid?.() !== 0) return 'needs root for a mount namespace';
  for (const tool of ['unshare', 'setpriv']) if (spawnSync('sh', ['-c', `command -v ${tool}`]).status !== 0) return `${tool} is not installed`;
  if (spawnSync('unshare', ['-m', 'true']).status !== 0) return 'this host does not allow mount namespaces';
  if (/^\/(home|root|tmp|var\/tmp)(\/|$)/.test(ROOT)) return `the checkout ${ROOT} lies where the sandbox hides or replaces the files`;
  if (!existsSync(join(ROOT, 'dist/server/entry.mjs'))) return 'the site is not built (npx astro build)';
  return undefined;
}
const SKIP = unsupported();

const unit = readFileSync(join(ROOT, 'deploy/switchyard.service'), 'utf8');
const setting = (key: string) => unit.split('\n').filter((l) => l.startsWith(`${key}=`)).map((l) => l.slice(key.length + 1)).at(-1);

/** The shell commands that rebuild what the unit asks for, then start its ExecStart as nobody. */
function sandboxScript(env: Record<string, string>): string {
  const q = (s: string) => `'${s.replaceAll("'", `'\\''`)}'`;
  const lines = ['set -e', 'mount --make-rprivate /', 'mount -t tmpfs -o mode=755 tmpfs /mnt', `mkdir ${INSIDE.state} ${INSIDE.etc}`, `mount --bind "$1" ${INSIDE.state}`, `mount --bind "$2" ${INSIDE.etc}`];
  if (setting('PrivateTmp') === 'true') lines.push('mount -t tmpfs -o mode=1777 tmpfs /tmp', 'mount -t tmpfs -o mode=1777 tmpfs /var/tmp');
  if (setting('ProtectHome') === 'true') lines.push('for d in /home /root /run/user; do if [ -d $d ]; then mount -t tmpfs -o mode=000 tmpfs $d; fi; done');
  // ReadWritePaths= is the data folder, which is the tmpfs-backed bind above: it stays writable.
  if (setting('ProtectSystem') === 'strict') lines.push('mount -o remount,bind,ro /');
  const priv = ['--reuid', String(NOBODY), '--regid', String(NOBODY), '--clear-groups'];
  if (setting('NoNewPrivileges') === 'true') priv.push('--no-new-privs');
  if (setting('CapabilityBoundingSet') === '') priv.push('--bounding-set=-all', '--inh-caps=-all');
  const exec = setting('ExecStart')!.replaceAll(INSTALL_DIR, ROOT);
  lines.push(`cd ${q(setting('WorkingDirectory')!.replaceAll(INSTALL_DIR, ROOT))}`, `umask ${setting('UMask') ?? '0022'}`);
  lines.push(`exec setpriv ${priv.join(' ')} env -i PATH=/usr/bin:/bin ${Object.entries(env).map(([k, v]) => q(`${k}=${v}`)).join(' ')} ${exec}`);
  return lines.join('\n');
}

/** The unit's Environment=, its paths moved to where the namespace shows them (the install folder is this checkout). */
function unitEnvironment(): Record<string, string> {
  const env: Record<string, string> = {};
  for (const line of unit.split('\n').filter((l) => l.startsWith('Environment='))) {
    const [k, v] = line.slice('Environment='.length).split(/=(.*)/s) as [string, string];
    env[k] = v.replace('/var/lib/switchyard', INSIDE.state).replace('/etc/switchyard', INSIDE.etc).replaceAll(INSTALL_DIR, ROOT);
  }
  return env;
}

function descendants(pid: number): number[] {
  const children = spawnSync('ps', ['-o', 'pid=', '--ppid', String(pid)], { encoding: 'utf8' }).stdout.split('\n').filter(Boolean).map(Number);
  return children.flatMap((c) => [c, ...descendants(c)]);
}

/** A process's environment, as the kernel shows it (readable by root). */
function environOf(pid: number): Record<string, string> {
  const pairs = readFileSync(`/proc/${pid}/environ`, 'utf8').split('\0').filter(Boolean);
  return Object.fromEntries(pairs.map((p) => p.split(/=(.*)/s).slice(0, 2) as [string, string]));
}

/** The program `node` names on a PATH, as a shell finds it, links followed. */
function nodeOn(path: string): string | undefined {
  for (const dir of path.split(':')) {
    try {
      accessSync(join(dir, 'node'), constants.X_OK);
      return realpathSync(join(dir, 'node'));
    } catch {
      // not in this folder: the next one
    }
  }
  return undefined;
}

const until = <T,>(what: string, check: () => Promise<T | undefined> | T | undefined, ms = 30_000) => eventually(what, check, ms);

describe.skipIf(SKIP)(`the app under deploy/switchyard.service's sandbox${SKIP ? ` (skipped: ${SKIP})` : ''}`, () => {
  let dir: string;
  let state: string;
  let app: ChildProcess;
  let output = '';
  let client: Client;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'switchyard-sandbox-'));
    state = join(dir, 'state');
    const etc = join(dir, 'etc');
    mkdirSync(state, { mode: 0o700 });
    chownSync(state, NOBODY, NOBODY);
    mkdirSync(etc, { mode: 0o755 });
    writeFileSync(join(etc, 'config.yaml'), `${EXAMPLE_CONFIG}\ngit:\n  local:\n    path: ${INSIDE.state}/values-repo\n`, { mode: 0o644 });
    const port = await freePort();
    // Steps of one second: the second run is still under way when the app is stopped.
    const env: Record<string, string> = { ...unitEnvironment(), HOST: '127.0.0.1', PORT: String(port), SWITCHYARD_STEP_SECONDS: '1' };
    expect(env.SWITCHYARD_CONFIG).toBe(`${INSIDE.etc}/config.yaml`);
    app = spawn('unshare', ['-m', 'sh', '-c', sandboxScript(env), 'sandbox', state, etc], { stdio: ['ignore', 'pipe', 'pipe'] });
    app.stdout!.on('data', (d) => (output += d));
    app.stderr!.on('data', (d) => (output += d));
    const password = await until('the app serves and its runner is up', () => {
      if (app.exitCode !== null || app.signalCode !== null) throw new Error(`the app ended at start:\n${output}`);
      return output.includes('runner: serving') ? output.match(/password: (\S+)/)?.[1] : undefined;
    });
    client = new Client(`http://127.0.0.1:${port}`);
    await client.login('admin', password);
  }, 60_000);

  afterAll(() => {
    app?.kill('SIGKILL');
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('serves from a read-only checkout, as an unprivileged user, with its data in the data folder only', async () => {
    const ready = await getJson<{ ready: boolean; runners: { online: number } }>(client, '/readyz');
    expect(ready).toMatchObject({ ready: true, runners: { online: 1 } });
    expect(existsSync(join(state, 'switchyard.db'))).toBe(true);
    expect(output).not.toMatch(/EROFS|EACCES|read-only file system/i);
  });

  it('runs a button through the local runner, whose script writes its report below the data folder', async () => {
    const started = await postJson(client, '/page/data-processing/run/start_processing');
    expect(started.status).toBe(201);
    const { id } = (await started.json()) as { id: number };
    const run = await until('the run ends', async () => {
      const r = await getJson<{ state: string; error: string | null }>(client, `/runs/${id}`);
      return ['queued', 'running'].includes(r.state) ? undefined : r;
    });
    expect(run).toMatchObject({ state: 'succeeded', error: null });
    expect(readFileSync(join(state, 'reports/processing/latest.html'), 'utf8')).toContain(`Run ${id}`);
  });

  it("gives the local runner's scripts the project's Node first on their PATH", async () => {
    const { id } = (await (await postJson(client, '/page/data-processing/run/start_processing')).json()) as { id: number };
    await until('the run is under way', async () => ((await getJson<{ progress: number | null }>(client, `/runs/${id}`)).progress !== null ? true : undefined));
    const script = descendants(app.pid!).find((pid) => readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes('scripts/processing/start.sh'));
    expect(script, 'the script is a process of the app').toBeDefined();
    expect(nodeOn(environOf(script!).PATH ?? '')).toBe(realpathSync(join(ROOT, 'node_modules/.bin/node')));
    await until('the run ends', async () => (['queued', 'running'].includes((await getJson<{ state: string }>(client, `/runs/${id}`)).state) ? undefined : true));
  });

  it('publishes a save to a Git working copy below the data folder', async () => {
    const res = await fetch(`${client.base}/api/v1/pages/toplevel/values`, {
      method: 'PUT',
      headers: { cookie: client.cookieHeader(), origin: client.base, 'content-type': 'application/json' },
      body: JSON.stringify({ revision: 0, values: { version: '2.1', instance_name: 'sandboxed' } }),
    });
    expect(res.status).toBe(200);
    const log = await until('the save is committed', () => {
      const r = spawnSync('git', ['-c', 'safe.directory=*', '-C', join(state, 'values-repo'), 'log', '--format=%s'], { encoding: 'utf8' });
      return r.status === 0 && r.stdout.includes('toplevel') ? r.stdout : undefined;
    });
    expect(log).toContain('toplevel: version, instance_name');
  });

  it('stops as systemd stops the unit (its KillMode), reporting the run under way as cancelled', async () => {
    const { id } = (await (await postJson(client, '/page/data-processing/run/start_processing')).json()) as { id: number };
    await until('the run is under way', async () => ((await getJson<{ progress: number | null }>(client, `/runs/${id}`)).progress !== null ? true : undefined));
    const exited = new Promise((r) => app.once('exit', r));
    const stopAt = Date.now();
    // What systemd does on stop: SIGTERM to the main process alone (mixed), or to every process of the unit.
    const signalled = setting('KillMode') === 'mixed' ? [app.pid!] : [app.pid!, ...descendants(app.pid!)];
    for (const pid of signalled) process.kill(pid, 'SIGTERM');
    await exited;
    expect(Date.now() - stopAt).toBeLessThan(Number(setting('TimeoutStopSec')) * 1000);
    const db = createClient({ url: `file:${join(state, 'switchyard.db')}` });
    try {
      const row = (await db.execute({ sql: 'SELECT state, error FROM runs WHERE id = ?', args: [id] })).rows[0]!;
      expect({ state: row.state, error: row.error }).toEqual({ state: 'cancelled', error: 'stopped because the runner was shut down' });
    } finally {
      db.close();
    }
    expect(output).toContain('runner: stopped');
  });
});
