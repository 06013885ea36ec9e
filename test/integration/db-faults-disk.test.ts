/**
 * The built server with its database on a small real file system (tmpfs)
 * that fills up: a save that cannot be written is refused clearly with the
 * form kept, nothing is half-written, and once space is freed saves work.
 * Mounting needs root; elsewhere this file is skipped, saying so.
 */
import { execFileSync, spawn } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, rmSync, rmdirSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createClient, type Client as DbClient } from '@libsql/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Client, revisionOf, textOf } from '../helpers/client.ts';
import { ROOT, startServer, testEnv, type TestServer } from '../helpers/server.ts';

const mount = mkdtempSync(join(tmpdir(), 'switchyard-small-disk-'));
const mounted = (() => {
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=6m', 'tmpfs', mount], { stdio: 'pipe' });
    return true;
  } catch (e) {
    console.warn(`disk-full tests skipped: cannot mount a small tmpfs here (${(e as Error).message.split('\n')[0]})`);
    return false;
  }
})();

const filler = join(mount, 'filler');
let server: TestServer | undefined;
let db: DbClient | undefined;

/** Writes to the filler file until the file system refuses. */
function fillDisk(): void {
  const fd = openSync(filler, 'a');
  const chunk = Buffer.alloc(4096, 1);
  try {
    for (;;) writeSync(fd, chunk);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOSPC') throw e;
  } finally {
    closeSync(fd);
  }
}

function addUser(name: string, password: string): Promise<void> {
  return new Promise((ok, fail) => {
    const child = spawn(process.execPath, [join(ROOT, 'src/cli/user.ts'), 'add', name, '--role', 'editor', '--password-stdin'], {
      cwd: ROOT,
      env: testEnv(server!.dir, { SWITCHYARD_DATA_DIR: mount }),
    });
    let err = '';
    child.stderr.on('data', (d) => (err += d));
    child.on('close', (code) => (code === 0 ? ok() : fail(new Error(err))));
    child.stdin.end(password);
  });
}

beforeAll(async () => {
  if (!mounted) return;
  server = await startServer({ env: { SWITCHYARD_DATA_DIR: mount } });
  await addUser('alice', 'alice-password');
  db = createClient({ url: `file:${join(mount, 'switchyard.db')}` });
});
afterAll(async () => {
  db?.close();
  await server?.stop();
  // Lazily: this process's driver may keep the file open until its statements are garbage-collected.
  if (mounted) execFileSync('umount', ['--lazy', mount]);
  rmdirSync(mount);
});

async function consistent(): Promise<void> {
  // Every change has one history row per parameter and one audit entry; no history row without its change.
  const orphans = await db!.execute('SELECT count(*) AS n FROM config_history WHERE change_id NOT IN (SELECT id FROM changes)');
  expect(Number(orphans.rows[0]!.n)).toBe(0);
  const partial = await db!.execute("SELECT count(*) AS n FROM changes c WHERE (SELECT count(*) FROM config_history h WHERE h.change_id = c.id) != 4");
  expect(Number(partial.rows[0]!.n)).toBe(0);
  const counts = await db!.execute("SELECT (SELECT count(*) FROM changes) AS changes, (SELECT count(*) FROM audit_log WHERE action = 'save') AS audits");
  expect(Number(counts.rows[0]!.audits)).toBe(Number(counts.rows[0]!.changes));
}

describe.skipIf(!mounted)('a full disk', () => {
  it('refuses the save with 507 and the form kept, JSON on the API, nothing half-written; after freeing space the save works', async () => {
    const c = new Client(server!.url);
    await c.login('alice', 'alice-password');
    fillDisk();

    const long = (i: number) => `${i}-${'x'.repeat(9000)}`;
    let refused: Response | undefined;
    let rev = revisionOf(await (await c.get('/page/toplevel')).text());
    let typed = '';
    for (let i = 0; i < 50 && !refused; i++) {
      typed = long(i);
      const res = await c.post('/page/toplevel', { version: '1', instance_name: typed, logging_level: 'info', _revision: rev });
      if (res.status === 303) rev = revisionOf(await (await c.get('/page/toplevel')).text());
      else refused = res;
    }
    expect(refused, 'the disk never filled').toBeDefined();
    expect(refused!.status).toBe(507);
    const html = await refused!.text();
    expect(textOf(html, 'notice-unavailable')).toContain('The disk holding the database is full; nothing was saved.');
    expect(html).toContain(`value="${typed}"`);
    await consistent();
    const saves = Number((await db!.execute('SELECT count(*) AS n FROM changes')).rows[0]!.n);

    const api = await fetch(`${server!.url}/api/v1/pages/toplevel/values`, {
      method: 'PUT',
      headers: { cookie: c.cookieHeader(), 'content-type': 'application/json' },
      body: JSON.stringify({ revision: Number(rev), values: { instance_name: long(99) } }),
    });
    expect(api.status).toBe(507);
    expect(api.headers.get('content-type')).toContain('application/json');
    expect(((await api.json()) as { error: string }).error).toMatch(/disk .* is full/);

    rmSync(filler);
    const again = await c.post('/page/toplevel', { version: '1', instance_name: typed, logging_level: 'info', _revision: rev });
    expect(again.status).toBe(303);
    expect(Number((await db!.execute('SELECT count(*) AS n FROM changes')).rows[0]!.n)).toBe(saves + 1);
    await consistent();
  });
});
