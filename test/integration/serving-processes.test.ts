/**
 * SWITCHYARD_PROCESSES=2 on the built server: two processes serve one port
 * and one database, a serving process that dies is started again, and a
 * stop ends them all.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { Client } from '../helpers/client.ts';
import { startServer, type TestServer } from '../helpers/server.ts';
import { alive } from '../helpers/processes.ts';

let server: TestServer | undefined;
afterEach(async () => {
  await server?.stop();
  server = undefined;
});

/** The pids of the app processes registered on the database that are still alive. */
async function livePids(s: TestServer): Promise<number[]> {
  const { rows } = await s.db().execute('SELECT pid FROM app_instances ORDER BY started_at');
  return rows.map((r) => Number(r.pid)).filter(alive);
}

async function eventually<T>(check: () => Promise<T | undefined>, ms = 15_000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const found = await check();
    if (found !== undefined) return found;
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 100));
  }
}

describe('several serving processes', () => {
  it('serve one port and one database, each request answered, a killed one started again, all stopped together', async () => {
    server = await startServer({ env: { SWITCHYARD_PROCESSES: '2' }, users: [{ name: 'ed', role: 'editor', password: 'ed-password-1' }] });
    const s = server;
    expect(s.output()).toContain('with 2 processes');
    const [main, other] = await eventually(async () => {
      const pids = await livePids(s);
      return pids.length === 2 ? pids : undefined;
    });
    expect(main).toBe(s.pid());
    // Registered on the database before it listens: wait for the line that says it serves.
    await eventually(async () => (s.output().includes(`"pid":${other},"msg":"serving beside the first process"`) ? true : undefined));
    const ready = (await (await fetch(`${s.url}/readyz`)).json()) as { app_processes: number };
    expect(ready.app_processes).toBe(2);

    // A session made on one process is honoured by the other: every new connection may land on either.
    const c = new Client(s.url);
    await c.login('ed', 'ed-password-1');
    const statuses = await Promise.all(Array.from({ length: 40 }, () => fetch(`${s.url}/page/toplevel`, { headers: { cookie: c.cookieHeader(), connection: 'close' } }).then((r) => r.status)));
    expect(statuses.every((st) => st === 200)).toBe(true);
    // Both served some of them (the kernel spreads new connections; all 40 on one process would be a 1 in 2^39 chance).
    const servedBy = (pid: number) => s.output().split('\n').filter((l) => l.includes(`"pid":${pid}`) && l.includes('"path":"/page/toplevel"')).length;
    await eventually(async () => (servedBy(main!) + servedBy(other!) === 40 ? true : undefined));
    expect(servedBy(main!)).toBeGreaterThan(0);
    expect(servedBy(other!)).toBeGreaterThan(0);

    process.kill(other!, 'SIGKILL');
    const replacement = await eventually(async () => (await livePids(s)).find((p) => p !== main && p !== other));
    expect(s.output()).toMatch(new RegExp(`serving process 2 \\(pid ${other}\\) ended \\(SIGKILL\\); starting it again in 1 s`));
    expect((await fetch(`${s.url}/login`)).status).toBe(200);

    await s.stop();
    server = undefined;
    await eventually(async () => (alive(main!) || alive(replacement) ? undefined : true), 10_000);
  });

  it('refuses a process count that is not a whole number from 1 to 64', async () => {
    await expect(startServer({ env: { SWITCHYARD_PROCESSES: 'lots' } })).rejects.toThrow(
      'Switchyard cannot start: SWITCHYARD_PROCESSES must be a whole number from 1 to 64 (the processes serving the port), not "lots".',
    );
  });
});
