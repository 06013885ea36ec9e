/**
 * The systemd units in deploy/ load without a warning, keep the settings the
 * app depends on, and their environment files name every variable the code
 * reads (and none it does not).
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { APP_MALLOC_ENV, APP_NODE_FLAGS, RUNNER_NODE_FLAGS } from '../../src/cli/node-flags.ts';

const ROOT = resolve(import.meta.dirname, '../..');
const INSTALL_DIR = '/opt/switchyard';
const UNITS = ['switchyard.service', 'switchyard-runner.service'] as const;
/** Each unit's Node options: the same the npm scripts and the test helpers use. */
const FLAGS = { 'switchyard.service': APP_NODE_FLAGS, 'switchyard-runner.service': RUNNER_NODE_FLAGS };

const read = (path: string) => readFileSync(join(ROOT, path), 'utf8');

function hasCommand(name: string): boolean {
  return spawnSync('sh', ['-c', `command -v ${name}`]).status === 0;
}
const SYSTEMD_ANALYZE = hasCommand('systemd-analyze');

/** Every value of a key in the unit, in order (a key may repeat). */
function values(unit: string, key: string): string[] {
  return unit
    .split('\n')
    .filter((l) => l.startsWith(`${key}=`))
    .map((l) => l.slice(key.length + 1));
}

function one(unit: string, key: string): string {
  const all = values(unit, key);
  expect(all, key).toHaveLength(1);
  return all[0]!;
}

/** The Environment= defaults of a unit, by name. */
function environment(unit: string): Record<string, string> {
  return Object.fromEntries(values(unit, 'Environment').map((v) => v.split(/=(.*)/s).slice(0, 2) as [string, string]));
}

/** Names set (or shown commented out) in an environment file example. */
function exampleNames(text: string): string[] {
  return [...text.matchAll(/^#?([A-Z][A-Z0-9_]*)=/gm)].map((m) => m[1]!);
}

function sources(dir: string): string[] {
  return readdirSync(join(ROOT, dir), { recursive: true, encoding: 'utf8' })
    .filter((f) => /\.(ts|mjs)$/.test(f) && statSync(join(ROOT, dir, f)).isFile())
    .map((f) => join(dir, f));
}

/** Variables the code reads as env.NAME (assignments to the environment of a child excluded). */
function variablesRead(files: string[], pattern: RegExp): Set<string> {
  const names = new Set<string>();
  for (const f of files) {
    for (const m of read(f).matchAll(/\benv\.([A-Z][A-Z0-9_]*)\b(?!\s*=[^=])/g)) if (pattern.test(m[1]!)) names.add(m[1]!);
  }
  return names;
}

const sourceText = [...sources('src'), ...sources('runner')].map(read).join('\n');

describe('deploy/ units', () => {
  const scratch = mkdtempSync(join(tmpdir(), 'switchyard-units-'));
  afterAll(() => rmSync(scratch, { recursive: true, force: true }));

  // verify checks that ExecStart's program exists, so the copy points at this checkout,
  // whose node_modules/.bin/node is the one an install at /opt/switchyard would have.
  const verifyName = `%s passes systemd-analyze verify without a warning${SYSTEMD_ANALYZE ? '' : ' (skipped: systemd-analyze is not installed here)'}`;
  it.skipIf(!SYSTEMD_ANALYZE).each(UNITS)(verifyName, (name) => {
    const unit = read(`deploy/${name}`);
    expect(unit).toContain(INSTALL_DIR);
    const copy = join(scratch, name);
    writeFileSync(copy, unit.replaceAll(INSTALL_DIR, ROOT));
    const result = spawnSync('systemd-analyze', ['verify', '--man=no', copy], { encoding: 'utf8' });
    expect(`${result.stdout}${result.stderr}`.trim()).toBe('');
    expect(result.status).toBe(0);
  });

  it.each(UNITS)('%s starts the project\'s own Node, with the shipped options, on a file of the checkout', (name) => {
    const unit = read(`deploy/${name}`);
    const [program, ...args] = one(unit, 'ExecStart').split(' ');
    const entry = args.pop();
    expect(program).toBe(`${INSTALL_DIR}/node_modules/.bin/node`);
    expect(args).toEqual(FLAGS[name]);
    expect(one(unit, 'WorkingDirectory')).toBe(INSTALL_DIR);
    expect(statSync(join(ROOT, entry!)).isFile()).toBe(true);
  });

  // Scripts inherit the unit's PATH; systemd's own has no node_modules/.bin, so `node` in a
  // script would be the system's (too old, or missing) without this line.
  it.each(UNITS)("%s puts the folder of its Node first on the PATH its scripts inherit", (name) => {
    const unit = read(`deploy/${name}`);
    const path = environment(unit).PATH?.split(':') ?? [];
    expect(path[0]).toBe(dirname(one(unit, 'ExecStart').split(' ')[0]!));
    expect(path).toEqual(expect.arrayContaining(['/usr/local/bin', '/usr/bin', '/bin']));
  });

  it.each(UNITS)('%s signals the main process alone and keeps its data in its StateDirectory', (name) => {
    const unit = read(`deploy/${name}`);
    // The app and the runner stop their own children and report them; see the unit's comment.
    expect(one(unit, 'KillMode')).toBe('mixed');
    expect(Number(one(unit, 'TimeoutStopSec'))).toBeGreaterThanOrEqual(20);
    expect(environment(unit).SWITCHYARD_DATA_DIR).toBe(`/var/lib/${one(unit, 'StateDirectory')}`);
    // V8 compiles to memory it then runs.
    expect(values(unit, 'MemoryDenyWriteExecute')).toEqual([]);
  });

  it('switchyard.service serves the install-time build from a read-only checkout', () => {
    const unit = read('deploy/switchyard.service');
    expect(environment(unit).SWITCHYARD_SKIP_BUILD).toBe('1');
    expect(one(unit, 'ProtectSystem')).toBe('strict');
    expect(one(unit, 'ReadWritePaths')).toBe(environment(unit).SWITCHYARD_DATA_DIR);
    expect(one(unit, 'Restart')).toBe('on-failure');
  });

  it('switchyard.service sets the malloc environment npm start sets', () => {
    expect(environment(read('deploy/switchyard.service'))).toMatchObject(APP_MALLOC_ENV);
  });
});

describe('package.json', () => {
  const scripts = (JSON.parse(read('package.json')) as { scripts: Record<string, string> }).scripts;
  const env = (vars: Record<string, string>) => Object.entries(vars).map(([k, v]) => `${k}=${v} `).join('');
  it.each([
    ['start', APP_MALLOC_ENV, APP_NODE_FLAGS, 'src/cli/start.ts'],
    ['runner', {}, RUNNER_NODE_FLAGS, 'runner/main.ts'],
  ] as const)('npm run %s starts Node with the options and environment the units ship', (script, vars, flags, entry) => {
    expect(scripts[script]).toBe(`${env(vars)}exec node ${flags.join(' ')} ${entry}`);
  });
});

describe('deploy/ environment files', () => {
  const app = [...sources('src')];
  const cases = [
    { file: 'deploy/switchyard.env.example', unit: 'deploy/switchyard.service', reads: variablesRead(app, /^(SWITCHYARD_|HOST$|PORT$)/) },
    { file: 'deploy/switchyard-runner.env.example', unit: 'deploy/switchyard-runner.service', reads: variablesRead(['runner/main.ts'], /^SWITCHYARD_/) },
  ];

  it.each(cases)('$file names every variable the code reads', ({ file, reads }) => {
    expect(reads.size).toBeGreaterThan(3);
    const named = new Set(exampleNames(read(file)));
    expect([...reads].filter((n) => !named.has(n))).toEqual([]);
  });

  it.each(cases)('$file and its unit name only variables the code knows', ({ file, unit }) => {
    const names = [...exampleNames(read(file)), ...Object.keys(environment(read(unit)))].filter((n) => n !== 'HOME' && n !== 'PATH');
    expect(names.filter((n) => !new RegExp(`\\b${n}\\b`).test(sourceText))).toEqual([]);
  });
});

