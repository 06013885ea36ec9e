/** Starting, refusing to start, reloading the config, the first admin, public pages. */
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Client, textOf } from '../helpers/client.ts';
import { EXAMPLE_CONFIG, freePort, ROOT, startServer, testEnv } from '../helpers/server.ts';

/** Runs the start command until it exits, or (with `until`) until it prints that, then stops it. */
function runStart(dir: string, extra: Record<string, string> = {}, until?: string): Promise<{ code: number | null; output: string }> {
  return new Promise(async (ok) => {
    const child = spawn(process.execPath, [join(ROOT, 'src/cli/start.ts')], { cwd: ROOT, env: testEnv(dir, { PORT: String(await freePort()), ...extra }) });
    let output = '';
    const seen = (d: Buffer) => {
      output += d;
      if (until && output.includes(until)) child.kill('SIGTERM');
    };
    child.stdout.on('data', seen);
    child.stderr.on('data', seen);
    const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
    child.on('exit', (code) => {
      clearTimeout(timer);
      ok({ code, output });
    });
  });
}

async function eventually(check: () => Promise<boolean>, ms = 5000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe('start', () => {
  it('refuses to start on a bad config, naming file, line, column, path and expectation', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'switchyard-test-'));
    try {
      writeFileSync(join(dir, 'config.yaml'), EXAMPLE_CONFIG.replace('type: "select"', 'type: "txt"'));
      const { code, output } = await runStart(dir);
      expect(code).toBe(1);
      expect(output).toContain(`Switchyard cannot start: ${join(dir, 'config.yaml')} is not valid.`);
      expect(output).toMatch(/config\.yaml:\d+:\d+ pages\[0\]\.parameters\[3\]\.type: expected one of text, textarea, integer, number, boolean, select, multiselect, date, datetime, secret, file, got "txt"/);
      expect(existsSync(join(dir, 'data', 'switchyard.db'))).toBe(false);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('refuses to start when the config file is missing', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'switchyard-test-'));
    try {
      const { code, output } = await runStart(dir);
      expect(code).toBe(1);
      expect(output).toContain(`${join(dir, 'config.yaml')}:1:1 file not found`);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('says so when the port is taken', async () => {
    const s = await startServer();
    const dir = mkdtempSync(join(tmpdir(), 'switchyard-test-'));
    try {
      writeFileSync(join(dir, 'config.yaml'), EXAMPLE_CONFIG);
      const { code, output } = await runStart(dir, { PORT: new URL(s.url).port });
      expect(code).toBe(1);
      expect(output).toContain(`Switchyard cannot start: port ${new URL(s.url).port} on 127.0.0.1 is already in use; set PORT to another port.`);
      // The failed start used up no one-time password: the next one that serves shows it.
      expect(output).not.toContain('created the first admin');
      const again = await runStart(dir, { PORT: String(await freePort()) }, 'Switchyard is serving');
      expect(again.output).toMatch(/No users yet: created the first admin\.\n {2}username: admin\n {2}password: \S+/);
    } finally {
      await s.stop();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('creates the first admin with a one-time password shown once', async () => {
    const s = await startServer();
    try {
      const password = s.output().match(/password: (\S+)/)?.[1];
      expect(password).toBeTruthy();
      const c = new Client(s.url);
      await c.login('admin', password!);
      expect(textOf(await (await c.get('/')).text(), 'current-user')).toBe('Administrator (admin)');
    } finally {
      await s.stop();
    }
  });

  it('uses SWITCHYARD_DB_URL when given', async () => {
    const other = mkdtempSync(join(tmpdir(), 'switchyard-db-'));
    const s = await startServer({ env: { SWITCHYARD_DB_URL: `file:${join(other, 'elsewhere.db')}` } });
    try {
      expect(existsSync(join(other, 'elsewhere.db'))).toBe(true);
      expect(existsSync(join(s.dataDir, 'switchyard.db'))).toBe(false);
    } finally {
      await s.stop();
      rmSync(other, { recursive: true, force: true });
    }
  });
});

describe('config changes while running', () => {
  it('takes a valid new config, keeps the last good one on error and shows admins why', async () => {
    const s = await startServer({
      users: [
        { name: 'root', role: 'admin', password: 'root-password' },
        { name: 'ed', role: 'editor', password: 'ed-password' },
      ],
    });
    try {
      const admin = new Client(s.url);
      await admin.login('root', 'root-password');
      const editor = new Client(s.url);
      await editor.login('ed', 'ed-password');

      const added = EXAMPLE_CONFIG + `
  - slug: "reports"
    title: "Reports"
    parameters:
      - {name: keep_days, label: "Keep days", type: integer, default: 30}
`;
      writeFileSync(s.configPath, added);
      await eventually(async () => (await admin.get('/page/reports')).status === 200);

      writeFileSync(s.configPath, added.replace('type: integer', 'type: float'));
      await eventually(async () => (await admin.get('/page/reports')).text().then((h) => h.includes('config-problems-title')));
      const adminPage = await (await admin.get('/page/reports')).text();
      expect(adminPage).toContain('The config file on disk was refused; the last valid version is still live.');
      expect(adminPage).toMatch(/config\.yaml:\d+:\d+ pages\[4\]\.parameters\[0\]\.type: expected one of text, textarea, integer, number, boolean, select, multiselect, date, datetime, secret, file, got &quot;float&quot;/);
      expect(adminPage).toContain('name="keep_days"'); // still the last good config
      // One JSON log line: the problems follow the message, their line break escaped.
      expect(s.output()).toMatch(/config\.yaml changed but is not valid; still serving revision [0-9a-f]{12}:\\nconfig\.yaml:\d+:\d+ pages\[4\]/);
      const editorPage = await (await editor.get('/page/reports')).text();
      expect(editorPage).not.toContain('config-problems-title');
      expect(editorPage).toContain('name="keep_days"');

      writeFileSync(s.configPath, EXAMPLE_CONFIG);
      await eventually(async () => (await admin.get('/page/reports')).status === 404);
      expect(await (await admin.get('/')).text()).not.toContain('config-problems-title');
    } finally {
      await s.stop();
    }
  });
});

describe('a config file replaced by something that is not one', () => {
  it('refuses a huge file without loading it, and a named pipe without hanging, keeping the last good config', async () => {
    const s = await startServer({ users: [{ name: 'root', role: 'admin', password: 'root-password' }] });
    try {
      const admin = new Client(s.url);
      await admin.login('root', 'root-password');
      const peakKb = () => Number(/VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${s.pid()}/status`, 'utf8'))![1]);
      const before = peakKb();
      // 400 MB of a log, say, written over config.yaml (sparse: no disk needed).
      rmSync(s.configPath);
      writeFileSync(s.configPath, '');
      truncateSync(s.configPath, 400 * 1024 * 1024);
      await eventually(async () => (await admin.get('/')).text().then((h) => h.includes('config-problems-title')), 10_000);
      expect(await (await admin.get('/')).text()).toContain('config.yaml:1:1 file is larger than 1024 KiB');
      expect(peakKb() - before).toBeLessThan(100 * 1024);

      rmSync(s.configPath);
      execFileSync('mkfifo', [s.configPath]);
      await eventually(async () => (await admin.get('/')).text().then((h) => h.includes('is not a regular file')), 10_000);
      expect((await admin.get('/page/data-processing')).status).toBe(200); // still the last good config
    } finally {
      await s.stop();
    }
  });
});

describe('a page with requires_login: false', () => {
  const config = `toplevel_title: Public
pages:
  - slug: status
    title: Status
    requires_login: false
    parameters:
      - {name: note, label: Note, type: text, default: hello}
  - slug: private
    title: Private
`;

  it('is shown without a session, but saving still needs a login', async () => {
    const s = await startServer({ config });
    try {
      const anon = new Client(s.url);
      const page = await anon.get('/page/status');
      expect(page.status).toBe(200);
      const html = await page.text();
      expect(html).toContain('value="hello"');
      expect(textOf(html, 'save-blocked')).toBe('Log in to save changes.');
      expect((await anon.get('/page/private')).status).toBe(303);
      const save = await anon.post('/page/status', { note: 'changed', _revision: '0' });
      expect(save.status).toBe(303);
      expect(save.headers.get('location')).toBe('/login?next=%2Fpage%2Fstatus');
      const exported = await anon.post('/page/status/export', { note: 'x', filename: '' });
      expect(exported.status).toBe(200);
      const text = await exported.text();
      expect(text).toMatch(/^# Switchyard values of page "Status" \(status\)\n[\s\S]*# exported by: anonymous \(not logged in\)\n/);
      expect(text.slice(text.indexOf('\n\n') + 2)).toBe('note: x\n'); // after the provenance comments
    } finally {
      await s.stop();
    }
  });
});
