/**
 * Notifications on the real built server: the README's own webhook receiver
 * (run as written) gets signed events from form saves, email arrives at a
 * real SMTP server, a receiver that is away makes a delivery that admins see
 * given up on Admin → Deliveries and resend, and with two serving processes
 * every event is delivered once, in order.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Client } from '../helpers/client.ts';
import { save } from '../helpers/publication.ts';
import { readable, smtpReceiver, type SmtpReceiver } from '../helpers/receivers.ts';
import { EXAMPLE_CONFIG, freePort, ROOT, startServer, type TestServer } from '../helpers/server.ts';

const SECRET = 'readme-receiver-key-0123456789';

/** The receiver the README shows, taken from it verbatim. */
function readmeReceiver(): string {
  const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
  const m = /<!-- receiver -->\n```js\n([\s\S]*?)```/.exec(readme);
  if (!m) throw new Error('README has no receiver example');
  return m[1]!;
}

/** The README's receiver as a process: what it printed, one line per event. */
class Receiver {
  lines: string[] = [];
  child?: ChildProcess;
  readonly file: string;
  readonly port: number;
  constructor(file: string, port: number) {
    this.file = file;
    this.port = port;
  }
  async start(): Promise<void> {
    const child = spawn(process.execPath, [this.file], { env: { ...process.env, SWITCHYARD_WEBHOOK_SECRET: SECRET, PORT: String(this.port) }, stdio: ['ignore', 'pipe', 'inherit'] });
    child.stdout!.setEncoding('utf8').on('data', (d: string) => this.lines.push(...d.split('\n').filter(Boolean)));
    this.child = child;
    for (let i = 0; i < 200; i++) {
      const up = await fetch(`http://127.0.0.1:${this.port}/`, { method: 'POST', body: '{}' }).then((r) => r.status, () => 0);
      if (up === 401) return; // unsigned: refused, as it should be
      await new Promise((r) => setTimeout(r, 25));
    }
    throw new Error('the README receiver did not start');
  }
  async stop(): Promise<void> {
    const c = this.child;
    if (!c || c.exitCode !== null) return;
    await new Promise((r) => {
      c.once('exit', r);
      c.kill();
    });
  }
}

function notifyConfig(hookPort: number, smtpPort: number): string {
  return `${EXAMPLE_CONFIG}
notify:
  smtp: {host: 127.0.0.1, port: ${smtpPort}, tls: none, from: "Switchyard <switchyard@example.com>"}
  targets:
    - name: receiver
      webhook: {url: "http://127.0.0.1:${hookPort}/switchyard", secret_env: TEST_WEBHOOK_SECRET}
      events: [values.saved]
    - name: team
      email: {to: [team@example.com]}
`;
}

const until = async (check: () => boolean | Promise<boolean>, ms = 20_000) => {
  const end = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > end) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 25));
  }
};

const USERS = [
  { name: 'root', role: 'admin' as const, password: 'root-password-1' },
  { name: 'ed', role: 'editor' as const, password: 'ed-password-1' },
];

let dir: string;
let smtp: SmtpReceiver;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'switchyard-receiver-'));
  writeFileSync(join(dir, 'receiver.mjs'), readmeReceiver());
  smtp = await smtpReceiver();
});
afterAll(async () => {
  await smtp?.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('notifications on the built server', () => {
  let server: TestServer;
  let receiver: Receiver;
  const admin = () => {
    const c = new Client(server.url);
    return c.login('root', 'root-password-1').then(() => c);
  };

  beforeAll(async () => {
    receiver = new Receiver(join(dir, 'receiver.mjs'), await freePort());
    await receiver.start();
    const config = notifyConfig(receiver.port, smtp.port).replace('  - slug: "data-processing"', '  - slug: "data-processing"\n    notify:\n      - {target: team, events: [values.saved]}');
    server = await startServer({
      config,
      users: USERS,
      env: { TEST_WEBHOOK_SECRET: SECRET, SWITCHYARD_PUBLIC_URL: 'https://switchyard.example.com', SWITCHYARD_DELIVERY_ATTEMPTS: '2', SWITCHYARD_DELIVERY_BACKOFF_MS: '100', SWITCHYARD_DELIVERY_BACKOFF_MAX_MS: '200' },
    });
  });
  afterAll(async () => {
    await receiver?.stop();
    await server?.stop();
  });

  it('a form save reaches the README receiver, which verifies it, and a page subscriber by email with a link', async () => {
    const c = await admin();
    const id = await save(c, 'data-processing', { inputs_directory: '/mnt/notify' });
    await until(() => receiver.lines.length === 1 && smtp.mails.length === 1);
    const [type, eventId] = receiver.lines[0]!.split(' ');
    expect(type).toBe('values.saved');
    const { rows } = await server.db().execute({ sql: `SELECT uid FROM notification_events WHERE type = 'values.saved'`, args: [] });
    expect(rows.map((r) => r.uid)).toEqual([eventId]);
    const mail = readable(smtp.mails[0]!.raw);
    expect(mail).toContain('Subject: [My Awesome Project] Data Processing Pipeline: root saved new values (version');
    expect(mail).toContain(`Open: https://switchyard.example.com/page/data-processing/history?before=${id + 1}#version-${id}`);
  });

  it('a delivery the receiver missed is given up, shown to admins with the reason, and resent from Admin → Deliveries', async () => {
    const c = await admin();
    await receiver.stop();
    await save(c, 'toplevel', { version: '2.0', instance_name: 'away', logging_level: 'info' });
    let row: Record<string, unknown> | undefined;
    await until(async () => {
      row = (await server.db().execute(`SELECT id, state, attempts, last_error FROM deliveries WHERE target = 'receiver' ORDER BY id DESC LIMIT 1`)).rows[0];
      return row?.state === 'failed';
    });
    expect(row).toMatchObject({ attempts: 2 });
    expect(String(row!.last_error)).toMatch(new RegExp(`^could not reach 127\\.0\\.0\\.1:${receiver.port} \\(ECONNREFUSED\\)`));
    const page = await (await c.get('/admin/deliveries?state=failed')).text();
    expect(page).toContain(`data-delivery="${row!.id}" data-state="failed"`);
    expect(page).toContain('could not reach 127.0.0.1');
    expect(page).toContain('Given up (1)');

    await receiver.start();
    const resent = await c.submit('/admin/deliveries', { action: 'resend-delivery', id: String(row!.id) });
    expect(resent.status).toBe(303);
    expect(resent.html).toContain(`Delivery ${row!.id} is back in line`);
    await until(() => receiver.lines.length === 2);
    expect(receiver.lines[1]!.startsWith('values.saved ')).toBe(true);
    const after = await (await c.get('/admin/deliveries')).text();
    expect(after).toContain(`data-delivery="${row!.id}" data-state="delivered"`);
    const audit = await server.db().execute(`SELECT detail FROM audit_log WHERE action = 'delivery_resent'`);
    expect(audit.rows.map((r) => JSON.parse(String(r.detail)))).toEqual([{ delivery: Number(row!.id) }]);
    // A reload of the page the POST led to repeats nothing.
    await c.get(resent.location!);
    await new Promise((r) => setTimeout(r, 300));
    expect(receiver.lines).toHaveLength(2);
  });

  it('an admin sends a test event to a target; others may not see the page', async () => {
    const c = await admin();
    const sent = await c.submit('/admin/deliveries', { action: 'test-target', target: 'receiver' });
    expect(sent.status).toBe(303);
    await until(() => receiver.lines.some((l) => l.startsWith('notification.test ')));
    const ed = new Client(server.url);
    await ed.login('ed', 'ed-password-1');
    expect((await ed.get('/admin/deliveries')).status).toBe(403);
    expect((await ed.post('/admin/deliveries', { action: 'test-target', target: 'receiver' })).status).toBe(403);
  });
});

describe('with two serving processes', () => {
  it('every save is delivered once, in save order', { timeout: 120_000 }, async () => {
    const receiver = new Receiver(join(dir, 'receiver.mjs'), await freePort());
    await receiver.start();
    const server = await startServer({ config: notifyConfig(receiver.port, smtp.port), users: USERS, env: { TEST_WEBHOOK_SECRET: SECRET, SWITCHYARD_PROCESSES: '2' } });
    try {
      const clients = await Promise.all([0, 1, 2, 3].map(async () => {
        const c = new Client(server.url);
        await c.login('ed', 'ed-password-1');
        return c;
      }));
      const ids: number[] = [];
      for (let i = 0; i < 24; i++) ids.push(await save(clients[i % 4]!, 'data-processing', { inputs_directory: `/mnt/${i}` }));
      await until(() => receiver.lines.length >= 24, 60_000);
      await new Promise((r) => setTimeout(r, 1500)); // a second send would come within the next look
      expect(receiver.lines).toHaveLength(24);
      const { rows } = await server.db().execute(`SELECT e.uid FROM notification_events e JOIN deliveries d ON d.event_id = e.id WHERE d.target = 'receiver' ORDER BY e.id`);
      expect(receiver.lines.map((l) => l.split(' ')[1])).toEqual(rows.map((r) => String(r.uid)));
      expect(server.output()).toContain('serving beside the first process');
    } finally {
      await receiver.stop();
      await server.stop();
    }
  });
});
