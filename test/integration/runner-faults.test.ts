/**
 * Runs that must not be declared lost when nothing was wrong, and runner
 * faults that must not leave a script unsupervised: the app down or frozen
 * past the lease, a connection that goes silent, a token revoked mid-run, a
 * runner killed mid-run, a runner whose clock is off. Real server, real
 * runner processes, real scripts, real sockets and signals.
 */
import { spawn } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer, connect, type Server, type Socket } from 'node:net';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import { Client, postJson } from '../helpers/client.ts';
import { startRunner, type TestRunner } from '../helpers/runner.ts';
import { FINAL, waitForRun } from '../helpers/runs.ts';
import { ROOT, startServer, testEnv, type TestServer } from '../helpers/server.ts';
import { alive } from '../helpers/processes.ts';

const CONFIG = `toplevel_title: Runner faults
pages:
  - slug: jobs
    title: Jobs
    buttons:
      - {name: lines, label: Lines, script_path: scripts/lines.sh, status_file: app_data/status/lines.json, report_path: app_data/reports/lines.log}
      - {name: sleepy, label: Sleepy, script_path: scripts/sleepy.sh, status_file: app_data/status/sleepy.json, report_path: app_data/reports/sleepy.log}
      - {name: escape, label: Escape, script_path: scripts/escape.sh, status_file: app_data/status/escape.json, report_path: app_data/reports/escape.log}
      - {name: second, label: Second, script_path: scripts/second.sh, status_file: app_data/status/second.json, report_path: app_data/reports/second.log}
`;
const SCRIPTS = {
  'scripts/lines.sh': '#!/usr/bin/env bash\nfor i in $(seq 1 ${LINES_COUNT:-300}); do echo "line $i"; sleep ${LINES_PAUSE:-0.05}; done\n',
  'scripts/sleepy.sh': '#!/usr/bin/env bash\necho $$ > "$SWITCHYARD_DATA_DIR/sleepy.pid"\necho started\nsleep 300\n',
  // A child that leaves the script's process group (and session) with setsid.
  'scripts/escape.sh': '#!/usr/bin/env bash\nsetsid sleep 300 &\necho $! > "$SWITCHYARD_DATA_DIR/escaped.pid"\necho $$ > "$SWITCHYARD_DATA_DIR/escape.pid"\necho started\nsleep 300\n',
  'scripts/second.sh': '#!/usr/bin/env bash\nsleep 1\necho done\n',
};
const USERS = [{ name: 'olga', role: 'operator' as const, password: 'olga-password' }];
type Run = { id: number; state: string; error: string | null; log: { lines: number } };

/** The tests below wait out leases and restarts on purpose. */
const LONG = 120_000;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

const waitFor = (c: Client, id: number, check: (r: Run) => boolean, ms = 30_000) => waitForRun<Run>(c, id, check, ms);

async function until(what: string, check: () => boolean, ms = 20_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting until ${what}`);
    await sleep(50);
  }
}

const start = async (c: Client, button: string) => ((await (await postJson(c, `/page/jobs/run/${button}`)).json()) as { id: number }).id;

async function operator(server: TestServer): Promise<Client> {
  const c = new Client(server.url);
  await c.login('olga', 'olga-password');
  return c;
}

/** Kills what a test left, by pid: a script group, an escapee. */
function killQuietly(pids: number[]): void {
  for (const pid of pids) {
    for (const target of [-pid, pid]) {
      try {
        process.kill(target, 'SIGKILL');
      } catch {
        /* gone */
      }
    }
  }
}

const readPid = (server: TestServer, name: string) => Number(readFileSync(join(server.dataDir, name), 'utf8').trim());

/** The runner process that the app started beside itself (`npm start`). */
function localRunnerPid(appPid: number): number {
  for (const entry of readdirSync('/proc').filter((d) => /^\d+$/.test(d))) {
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      if (ppid === appPid && readFileSync(`/proc/${entry}/cmdline`, 'utf8').includes('runner/main.ts')) return Number(entry);
    } catch {
      /* gone */
    }
  }
  throw new Error(`no local runner under process ${appPid}`);
}

/** Every stdout line of a run, in order. */
async function stdoutLines(c: Client, id: number): Promise<string[]> {
  const log = await (await c.get(`/runs/${id}/log`)).text();
  return log.split('\n').filter((l) => / stdout line \d+$/.test(l)).map((l) => l.replace(/^.* stdout /, ''));
}

function runnerToken(server: TestServer, args: string[]): Promise<{ code: number; out: string }> {
  return new Promise((ok) => {
    const c = spawn(process.execPath, [join(ROOT, 'src/cli/runner-token.ts'), ...args], { cwd: ROOT, env: testEnv(server.dir) });
    let out = '';
    c.stdout.on('data', (d) => (out += d));
    c.stderr.on('data', (d) => (out += d));
    c.on('close', (code) => ok({ code: code ?? -1, out }));
  });
}

/**
 * A TCP proxy that can go silent: after `freeze()` the connections it has
 * stop forwarding (bytes are accepted and dropped, nothing answers, no reset),
 * while new connections pass through — a NAT or proxy that lost its state.
 */
async function silentProxy(target: string): Promise<{ url: string; freeze: () => void; close: () => Promise<void> }> {
  const { hostname, port } = new URL(target);
  const pairs: [Socket, Socket][] = [];
  const all: Socket[] = [];
  const server: Server = createServer((client) => {
    const upstream = connect(Number(port), hostname);
    client.pipe(upstream);
    upstream.pipe(client);
    const drop = () => {
      client.destroy();
      upstream.destroy();
    };
    client.on('error', drop);
    upstream.on('error', drop);
    client.on('close', () => upstream.destroy());
    upstream.on('close', () => client.destroy());
    pairs.push([client, upstream]);
    all.push(client, upstream);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port: own } = server.address() as { port: number };
  return {
    url: `http://127.0.0.1:${own}`,
    freeze() {
      for (const [client, upstream] of pairs.splice(0)) {
        client.unpipe(upstream);
        upstream.unpipe(client);
        client.removeAllListeners('close');
        upstream.removeAllListeners('close');
        upstream.on('close', () => undefined);
        client.on('data', () => undefined); // swallow: the runner's writes succeed, nothing comes back
        upstream.pause();
      }
    },
    async close() {
      for (const socket of all) socket.destroy();
      await new Promise((r) => server.close(r));
    },
  };
}

describe('runs are not declared lost when nothing was wrong', () => {
  it('keeps a run going when the app was killed and stayed down longer than the lease', async () => {
    const server = await startServer({ config: CONFIG, files: SCRIPTS, users: USERS, env: { SWITCHYARD_RUN_LEASE_MS: '4000' } });
    let runner: TestRunner | undefined;
    try {
      runner = await startRunner(server, 'patient', { LINES_COUNT: '300', LINES_PAUSE: '0.05' });
      const id = await start(await operator(server), 'lines');
      await waitFor(await operator(server), id, (r) => r.state === 'running' && r.log.lines >= 20);
      await server.restart({ signal: 'SIGKILL', downMs: 6000 });
      const c = await operator(server);
      const run = await waitFor(c, id, (r) => FINAL.includes(r.state), 60_000);
      expect(run).toMatchObject({ state: 'succeeded', error: null });
      expect(await stdoutLines(c, id)).toEqual(Array.from({ length: 300 }, (_, i) => `line ${i + 1}`));
      expect(runner.output()).not.toMatch(/no longer holds it/);
    } finally {
      await runner?.stop();
      await server.stop();
    }
  }, LONG);

  it('keeps a run going when the app was frozen (SIGSTOP) longer than the lease', async () => {
    const server = await startServer({ config: CONFIG, files: SCRIPTS, users: USERS, env: { SWITCHYARD_RUN_LEASE_MS: '4000' } });
    let runner: TestRunner | undefined;
    try {
      runner = await startRunner(server, 'frozen', { LINES_COUNT: '200', LINES_PAUSE: '0.05' });
      const c = await operator(server);
      const id = await start(c, 'lines');
      await waitFor(c, id, (r) => r.state === 'running' && r.log.lines >= 20);
      process.kill(server.pid(), 'SIGSTOP');
      try {
        await sleep(6000);
      } finally {
        process.kill(server.pid(), 'SIGCONT');
      }
      const run = await waitFor(c, id, (r) => FINAL.includes(r.state), 60_000);
      expect(run).toMatchObject({ state: 'succeeded', error: null });
      expect(await stdoutLines(c, id)).toEqual(Array.from({ length: 200 }, (_, i) => `line ${i + 1}`));
      expect(server.output()).toMatch(/The app did not run for \d+\.\d s/);
    } finally {
      try {
        process.kill(server.pid(), 'SIGCONT');
      } catch {
        /* gone */
      }
      await runner?.stop();
      await server.stop();
    }
  }, LONG);

  it('gets past a connection that went silent without a reset, on a new connection', async () => {
    const server = await startServer({ config: CONFIG, files: SCRIPTS, users: USERS, env: { SWITCHYARD_RUN_LEASE_MS: '10000' } });
    const proxy = await silentProxy(server.url);
    let runner: TestRunner | undefined;
    try {
      runner = await startRunner({ ...server, url: proxy.url }, 'tunnelled', { LINES_COUNT: '60', LINES_PAUSE: '0.25' });
      const c = await operator(server);
      const id = await start(c, 'lines');
      await waitFor(c, id, (r) => r.state === 'running' && r.log.lines >= 5);
      proxy.freeze();
      const run = await waitFor(c, id, (r) => FINAL.includes(r.state), 60_000).catch((e: Error) => {
        throw new Error(`${e.message}\nrunner:\n${runner!.output()}`);
      });
      expect(run).toMatchObject({ state: 'succeeded', error: null });
      expect(await stdoutLines(c, id)).toEqual(Array.from({ length: 60 }, (_, i) => `line ${i + 1}`));
    } finally {
      await runner?.stop();
      await proxy.close();
      await server.stop();
    }
  }, LONG);
});

describe('a runner whose token stops working mid-run', () => {
  for (const command of ['revoke', 'rotate'] as const) {
    it(`stops the script, ends the run with the reason, and exits with a clear message (${command})`, async () => {
      const server = await startServer({ config: CONFIG, files: SCRIPTS, users: USERS });
      let runner: TestRunner | undefined;
      let pid = 0;
      try {
        runner = await startRunner(server, 'doomed');
        const exited = new Promise<number | null>((r) => runner!.process.once('exit', (code) => r(code)));
        const c = await operator(server);
        const id = await start(c, 'sleepy');
        await waitFor(c, id, (r) => r.state === 'running' && r.log.lines >= 1);
        pid = readPid(server, 'sleepy.pid');
        expect(alive(pid)).toBe(true);

        const done = await runnerToken(server, [command, 'doomed']);
        expect(done.code).toBe(0);
        const run = await waitFor(c, id, (r) => FINAL.includes(r.state), 5000);
        expect(run.state).toBe('lost');
        expect(run.error).toMatch(new RegExp(`^runner doomed's token was ${command === 'revoke' ? 'revoked' : 'replaced'} by .+ \\(npm run runner-token\\) while this ran`));

        const code = await Promise.race([exited, sleep(20_000).then(() => 'still running')]);
        expect(code).toBe(2);
        expect(alive(pid)).toBe(false);
        const out = runner.output();
        expect(out).toMatch(/switchyard runner: the app refused the runner token: unknown or revoked runner token\. The run under way could not be reported; any script still running was stopped\. Was the token revoked or replaced\?/);
        expect(out).toMatch(/stopping the script, since nothing it does can be reported any more/);
        expect(out).not.toMatch(/\n\s+at /); // no stack trace
      } finally {
        if (pid) killQuietly([pid]);
        await runner?.stop();
        await server.stop();
      }
    });
  }
});

describe('a runner killed mid-run', () => {
  it('has its scripts, and a child that left their group with setsid, stopped by the runner started after it', async () => {
    const server = await startServer({ config: CONFIG, files: SCRIPTS, users: USERS });
    let runner: TestRunner | undefined;
    const pids: number[] = [];
    try {
      runner = await startRunner(server, 'phoenix');
      const c = await operator(server);
      const id = await start(c, 'escape');
      await waitFor(c, id, (r) => r.state === 'running' && r.log.lines >= 1);
      const script = readPid(server, 'escape.pid');
      const escaped = readPid(server, 'escaped.pid');
      pids.push(script, escaped);
      // The escapee really is outside the script's group, where a group kill cannot reach it.
      await until('the child has left the group', () => readFileSync(`/proc/${escaped}/stat`, 'utf8').split(') ')[1]!.split(' ')[2] !== String(script));

      await runner.kill();
      await sleep(500);
      expect(alive(script) && alive(escaped)).toBe(true); // outlived the runner

      runner = await startRunner(server, 'phoenix', {}, { token: runner.token });
      await until('the orphaned script and its escapee are gone', () => !alive(script) && !alive(escaped), 15_000);
      const run = await waitFor(c, id, (r) => FINAL.includes(r.state), 15_000);
      expect(run.state).toBe('failed');
      expect(run.error).toMatch(/^the runner died while the script ran; the restarted runner stopped what was left of it/);
      expect(runner.output()).toMatch(new RegExp(`run ${id}: its runner \\(pid \\d+\\) died while the script ran; stopped \\d+ process`));
      expect(existsSync(join(server.dataDir, 'runner'))).toBe(true);
    } finally {
      killQuietly(pids);
      await runner?.stop();
      await server.stop();
    }
  });
  it('has its scripts stopped when the local runner of npm start is killed and restarted by the app', async () => {
    const server = await startServer({ config: CONFIG, files: SCRIPTS, users: USERS, cwdInDir: true, env: { SWITCHYARD_LOCAL_RUNNER: '1' } });
    const pids: number[] = [];
    try {
      const c = await operator(server);
      const id = await start(c, 'escape');
      await waitFor(c, id, (r) => r.state === 'running' && r.log.lines >= 1);
      const script = readPid(server, 'escape.pid');
      const escaped = readPid(server, 'escaped.pid');
      pids.push(script, escaped);
      process.kill(localRunnerPid(server.pid()), 'SIGKILL');

      await until('the orphaned script and its escapee are gone', () => !alive(script) && !alive(escaped), 20_000);
      const run = await waitFor(c, id, (r) => FINAL.includes(r.state), 15_000);
      expect(run.state).toBe('failed');
      expect(run.error).toMatch(/^the runner died while the script ran; the restarted runner stopped what was left of it/);
      expect(server.output()).toMatch(/The local runner stopped \(SIGKILL\); starting it again/);
    } finally {
      killQuietly(pids);
      await server.stop();
    }
  }, LONG);
});

describe('a runner whose clock is off', () => {
  it('has run times and durations measured on the app clock', async () => {
    const server = await startServer({ config: CONFIG, files: SCRIPTS, users: USERS });
    let runner: TestRunner | undefined;
    try {
      const shift = join(server.dir, 'clock-ahead.mjs');
      writeFileSync(
        shift,
        `const SHIFT = 2 * 3600 * 1000;
const RealDate = Date;
class AheadDate extends RealDate {
  constructor(...args) { if (args.length === 0) super(RealDate.now() + SHIFT); else super(...args); }
  static now() { return RealDate.now() + SHIFT; }
}
globalThis.Date = AheadDate;
`,
      );
      runner = await startRunner(server, 'ahead', {}, { nodeArgs: ['--import', pathToFileURL(shift).href] });
      // The runner's own clock is two hours ahead.
      const said = Date.parse(runner.output().match(/^(\S+) runner: serving/m)![1]!);
      expect(said - Date.now()).toBeGreaterThan(1.9 * 3600 * 1000);

      const c = await operator(server);
      const before = Date.now();
      const id = await start(c, 'second');
      const run = await waitFor(c, id, (r) => FINAL.includes(r.state));
      const after = Date.now();
      expect(run.state).toBe('succeeded');
      const { rows } = await server.db().execute({ sql: 'SELECT claimed_at, started_at, finished_at FROM runs WHERE id = ?', args: [id] });
      const [claimed, started, finished] = ['claimed_at', 'started_at', 'finished_at'].map((k) => Date.parse(String(rows[0]![k])));
      for (const t of [claimed!, started!, finished!]) {
        expect(t).toBeGreaterThanOrEqual(before - 1000);
        expect(t).toBeLessThanOrEqual(after + 1000);
      }
      expect(started!).toBeGreaterThanOrEqual(claimed!);
      // The script sleeps one second: its run took about that, never less, never hours.
      expect(finished! - started!).toBeGreaterThanOrEqual(900);
      expect(finished! - started!).toBeLessThan(after - before + 1000);
      const { rows: lines } = await server.db().execute({ sql: 'SELECT at FROM run_logs WHERE run_id = ?', args: [id] });
      for (const l of lines) expect(Math.abs(Date.parse(String(l.at)) - started!)).toBeLessThan(after - before + 1000);
    } finally {
      await runner?.stop();
      await server.stop();
    }
  });
});
