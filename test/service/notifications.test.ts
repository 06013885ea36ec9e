/**
 * Notifications end to end in-process, on a real database, with a real HTTP
 * receiver and a real SMTP server: events recorded with what caused them,
 * fanned out by the config, signed, retried in order per target, bounded,
 * resent, and shared by two app processes' workers without a double send.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createApp, type App } from '../../src/server/app.ts';
import { readSettings } from '../../src/server/settings.ts';
import { createUser } from '../../src/server/users.ts';
import { recordSave } from '../../src/server/save.ts';
import { createRun, claimNext, requestCancel } from '../../src/server/runs/queue.ts';
import { finishRun } from '../../src/server/runs/lease.ts';
import { authenticateRunner, createRunnerToken } from '../../src/server/runners.ts';
import { startDeliveries } from '../../src/server/notify/worker.ts';
import { listDeliveries, resend } from '../../src/server/notify/deliveries.ts';
import { fanOut } from '../../src/server/notify/fanout.ts';
import { readable, smtpReceiver, webhookReceiver, type SmtpReceiver, type WebhookReceiver } from '../helpers/receivers.ts';

const SECRET = 'test-signing-key-0123456789';
process.env.T_HOOK_SECRET = SECRET;
process.env.T_SMTP_USER = 'mailer';
process.env.T_SMTP_PASS = 'mail-password';

function configFor(hookUrl: string, smtpPort: number, extra = ''): string {
  return `toplevel_title: Notify test
notify:
  smtp: {host: 127.0.0.1, port: ${smtpPort}, tls: none, username_env: T_SMTP_USER, password_env: T_SMTP_PASS, from: "Switchyard <switchyard@example.com>"}
  targets:
    - name: hook
      webhook: {url: "${hookUrl}", secret_env: T_HOOK_SECRET}
      events: [values.saved, run.failed]
    - name: mail
      email: {to: [ops@example.com, lead@example.com]}
      events: [run.failed]
${extra}pages:
  - slug: deploy
    title: Deploy
    parameters:
      - {name: retries, type: integer, default: 1}
    notify:
      - {target: mail, events: [values.saved, values.restored]}
    buttons:
      - name: restart
        label: Restart
        script_path: scripts/restart.sh
        status_file: app_data/status/restart.json
        report_path: app_data/reports/restart.html
        notify:
          - {target: hook, events: [run.cancelled]}
  - slug: quiet
    title: Quiet
    parameters:
      - {name: a, type: text}
`;
}

let dir: string;
let hook: WebhookReceiver;
let smtp: SmtpReceiver;
const apps: App[] = [];
const stops: (() => void)[] = [];

async function newApp(env: Record<string, string> = {}): Promise<App> {
  const app = await createApp(
    readSettings({
      SWITCHYARD_CONFIG: join(dir, 'config.yaml'),
      SWITCHYARD_DATA_DIR: join(dir, 'data'),
      SWITCHYARD_PUBLIC_URL: 'https://switchyard.example.com/',
      SWITCHYARD_DELIVERY_BACKOFF_MS: '40',
      SWITCHYARD_DELIVERY_BACKOFF_MAX_MS: '150',
      SWITCHYARD_DELIVERY_ATTEMPTS: '4',
      SWITCHYARD_DELIVERY_TIMEOUT_MS: '400',
      ...env,
    }),
  );
  apps.push(app);
  return app;
}

function work(app: App): void {
  stops.push(startDeliveries(app, () => {}));
}

beforeEach(async () => {
  dir = mkdtempSync(join(tmpdir(), 'switchyard-notify-'));
  mkdirSync(join(dir, 'data'));
  hook = await webhookReceiver(SECRET);
  smtp = await smtpReceiver({ user: 'mailer', pass: 'mail-password' });
  writeFileSync(join(dir, 'config.yaml'), configFor(hook.url, smtp.port));
});

afterEach(async () => {
  for (const stop of stops.splice(0)) stop();
  await hook.close();
  await smtp.close();
  for (const app of apps.splice(0)) app.db.close();
  rmSync(dir, { recursive: true, force: true });
});

/** Waits until `check` gives something truthy (it may be async); returns it. */
async function until<T>(check: () => T | Promise<T>, ms = 10_000): Promise<Exclude<T, false | null | undefined | 0 | ''>> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await check();
    if (v) return v as Exclude<T, false | null | undefined | 0 | ''>;
    if (Date.now() > end) throw new Error(`timed out waiting for ${check.toString().slice(0, 120)}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** A target's deliveries, oldest first. */
const deliveriesOf = async (app: App, target?: string) => (await listDeliveries(app.db, { limit: 200 })).deliveries.filter((d) => !target || d.target === target).reverse();
/** A target's deliveries in a state, or false while there are none. */
const inState = async (app: App, target: string, state: string) => {
  const list = (await deliveriesOf(app, target)).filter((d) => d.state === state);
  return list.length > 0 && list;
};

async function saveOn(app: App, slug: string, values: Record<string, string | number>, restoredFrom?: number) {
  const { config } = await app.config.current();
  const page = config.pages.find((p) => p.slug === slug)!;
  const user = (await app.db.execute("SELECT id, username FROM users WHERE username = 'alice'")).rows[0];
  const by = user ? { id: Number(user.id), username: String(user.username) } : await createUser(app.db, { username: 'alice', password: 'alice-password-1', role: 'editor' });
  const r = await recordSave(app, page, values, undefined, { user: { id: by.id, username: by.username }, ip: '192.0.2.1', detail: restoredFrom ? { restored_from: restoredFrom } : undefined });
  if (r.status !== 'saved') throw new Error(r.status);
  return r.entry;
}

const bodies = () => hook.received.map((r) => JSON.parse(r.body) as Record<string, any>);
/** The value of parameter `a` a webhook body carries. */
const valueIn = (r: { body: string }) => (JSON.parse(r.body) as { data: { change: { values: { a: string } } } }).data.change.values.a;

describe('webhooks', () => {
  it('a save is posted once, signed, with the documented body, and recorded as delivered', async () => {
    const app = await newApp();
    work(app);
    const entry = await saveOn(app, 'deploy', { retries: 5 });
    await until(() => hook.received.length === 1);
    const [r] = hook.received;
    expect(r!.verified).toBe(true);
    expect(r!.headers['content-type']).toBe('application/json');
    expect(r!.headers['switchyard-event']).toBe('values.saved');
    const body = bodies()[0]!;
    expect(body).toMatchObject({
      schema: 'switchyard.event/v1',
      type: 'values.saved',
      site: { title: 'Notify test', url: 'https://switchyard.example.com' },
      page: { slug: 'deploy', title: 'Deploy', url: 'https://switchyard.example.com/page/deploy' },
      button: null,
      data: { change: { id: entry.id, author: 'alice', changes: [{ name: 'retries', before: 1, after: 5 }], values: { retries: 5 } } },
    });
    expect(body.data.change.url).toBe(`https://switchyard.example.com/page/deploy/history?before=${entry.id + 1}#version-${entry.id}`);
    expect(r!.headers['switchyard-event-id']).toBe(body.id);
    const [d] = await until(() => inState(app, 'hook', 'delivered'));
    expect(d!.uid).toBe(r!.headers['switchyard-delivery']);
    expect(d!.lastStatus).toBe(204);
    expect(d!.attempts).toBe(1);
  });

  it('a tampered body or another key does not verify', async () => {
    const app = await newApp();
    work(app);
    await saveOn(app, 'quiet', { a: 'x' });
    await until(() => hook.received.length === 1);
    const r = hook.received[0]!;
    const { verifySignature } = await import('../helpers/receivers.ts');
    const header = r.headers['switchyard-signature'] as string;
    expect(verifySignature(SECRET, header, r.body)).toBe(true);
    expect(verifySignature(SECRET, header, r.body.replace('"x"', '"y"'))).toBe(false);
    expect(verifySignature('another-key', header, r.body)).toBe(false);
    expect(verifySignature(SECRET, header, r.body, Date.now() + 3_600_000)).toBe(false); // replayed an hour later
  });

  it('a receiver that is down gets every event once it is back, in order, each once', async () => {
    const app = await newApp({ SWITCHYARD_DELIVERY_ATTEMPTS: '100' });
    let down = true;
    hook.respond = () => (down ? { status: 503, body: 'maintenance' } : { status: 200, body: 'ok' });
    work(app);
    for (let i = 1; i <= 5; i++) await saveOn(app, 'quiet', { a: `v${i}` });
    await until(() => hook.received.length >= 3); // retried meanwhile, always the first event
    expect(new Set(bodies().map((b) => b.data.change.values.a))).toEqual(new Set(['v1']));
    const held = await deliveriesOf(app, 'hook');
    expect(held.map((d) => d.state)).toEqual(['pending', 'pending', 'pending', 'pending', 'pending']);
    expect(held[0]!.lastError).toBe('answered 503 Service Unavailable');
    expect(held[0]!.excerpt).toBe('maintenance');
    down = false;
    await until(async () => (await deliveriesOf(app, 'hook')).every((d) => d.state === 'delivered'));
    const lastFive = bodies().slice(-5).map((b) => b.data.change.values.a);
    expect(lastFive).toEqual(['v1', 'v2', 'v3', 'v4', 'v5']);
  });

  it('gives a delivery up after the attempts allowed, lets the later events go, and sends it again on resend', async () => {
    const app = await newApp();
    let refuse = true;
    hook.respond = (r) => (refuse && valueIn(r) === 'first' ? { status: 500 } : { status: 204 });
    work(app);
    await saveOn(app, 'quiet', { a: 'first' });
    await saveOn(app, 'quiet', { a: 'second' });
    const [first, second] = await until(async () => {
      const list = await deliveriesOf(app, 'hook');
      return list[1]?.state === 'delivered' && list;
    });
    expect(first).toMatchObject({ state: 'failed', attempts: 4, lastStatus: 500 });
    expect(second!.state).toBe('delivered');
    refuse = false;
    expect(await resend(app.db, first!.id)).toBe(true);
    expect(await resend(app.db, first!.id)).toBe(false); // already back in line
    await until(async () => (await deliveriesOf(app, 'hook'))[0]!.state === 'delivered');
    const firsts = hook.received.filter((r) => valueIn(r) === 'first');
    expect(firsts).toHaveLength(5);
    expect(new Set(firsts.map((r) => r.headers['switchyard-delivery'])).size).toBe(1); // one delivery id, resent
  });

  it('does not follow redirects, gives up on a hung receiver at the deadline, and honours 410 Gone at once', async () => {
    const app = await newApp({ SWITCHYARD_DELIVERY_ATTEMPTS: '1' });
    const elsewhere = await webhookReceiver(SECRET);
    hook.respond = (r) => (valueIn(r) === 'redirect' ? { status: 302, headers: { Location: elsewhere.url } } : valueIn(r) === 'hang' ? 'hang' : { status: 410, body: 'gone' });
    work(app);
    await saveOn(app, 'quiet', { a: 'redirect' });
    await saveOn(app, 'quiet', { a: 'hang' });
    await saveOn(app, 'quiet', { a: 'gone' });
    const list = await until(async () => {
      const l = await deliveriesOf(app, 'hook');
      return l.length === 3 && l.every((d) => d.state === 'failed') && l;
    });
    expect(list[0]!.lastError).toBe(`answered 302 with a redirect to ${elsewhere.url}; redirects are not followed: put the final address in config.yaml`);
    expect(list[1]!.lastError).toMatch(/^no answer from 127\.0\.0\.1:\d+ within 0\.4 s$/);
    expect(list[2]).toMatchObject({ lastStatus: 410, excerpt: 'gone', lastError: 'answered 410 Gone' });
    expect(elsewhere.received).toHaveLength(0);
    await elsewhere.close();
  });

  it('sends nothing to a host outside SWITCHYARD_WEBHOOK_HOSTS, and says why', async () => {
    const app = await newApp({ SWITCHYARD_WEBHOOK_HOSTS: 'hooks.example.com, *.internal.example' });
    work(app);
    await saveOn(app, 'quiet', { a: 'x' });
    const [d] = await until(() => inState(app, 'hook', 'failed'));
    expect(d!.lastError).toBe('127.0.0.1 is not in SWITCHYARD_WEBHOOK_HOSTS (hooks.example.com, *.internal.example), so nothing is sent there');
    expect(d!.attempts).toBe(1);
    expect(hook.received).toHaveLength(0);
  });

  it('a receiver that hangs holds back only its own target', async () => {
    const other = await webhookReceiver(SECRET);
    writeFileSync(join(dir, 'config.yaml'), configFor(hook.url, smtp.port).replace('    - name: mail\n', `    - name: other\n      webhook: {url: "${other.url}", secret_env: T_HOOK_SECRET}\n      events: [values.saved]\n    - name: mail\n`));
    const app = await newApp({ SWITCHYARD_DELIVERY_TIMEOUT_MS: '5000' });
    hook.respond = () => 'hang';
    work(app);
    for (let i = 1; i <= 3; i++) await saveOn(app, 'quiet', { a: `v${i}` });
    await until(() => other.received.length === 3, 3000); // well before the hung request's 5 s deadline
    expect(other.received.map(valueIn)).toEqual(['v1', 'v2', 'v3']);
    expect(hook.received.map(valueIn)).toEqual(['v1']);
    await other.close();
  });

  it('with two app processes on one database, each delivery is sent once, in order', async () => {
    const a = await newApp();
    const b = await newApp();
    work(a);
    work(b);
    for (let i = 1; i <= 30; i++) await saveOn(i % 2 ? a : b, 'quiet', { a: `v${i}` });
    await until(async () => (await deliveriesOf(a, 'hook')).filter((d) => d.state === 'delivered').length === 30, 20_000);
    expect(bodies().map((x) => x.data.change.values.a)).toEqual(Array.from({ length: 30 }, (_, i) => `v${i + 1}`));
  });
});

describe('runs and pages', () => {
  it('a run that fails is told to the webhook and by email; a cancelled one only where its button subscribed', async () => {
    const app = await newApp();
    work(app);
    const { config, revision } = await app.config.current();
    const page = config.pages[0]!;
    const button = page.buttons[0]!;
    const user = await createUser(app.db, { username: 'olivia', password: 'olivia-password-1', role: 'operator' });
    const run = await createRun(app.db, app.runs, { page, button, values: { retries: 1 }, configRevision: revision, user });
    const runner = (await authenticateRunner(app.db, await createRunnerToken(app.db, 'r1')))!;
    const claimed = (await claimNext(app.db, app.runs, runner))!;
    expect(claimed.id).toBe(run.id);
    await finishRun(app.db, app.runs, runner, run.id, { lease: claimed.lease, state: 'failed', exit_code: 3, signal: null, error: 'exit code 3', finished_at: new Date().toISOString(), report: null });
    const cancelled = await createRun(app.db, app.runs, { page, button, values: { retries: 1 }, configRevision: revision, user });
    await requestCancel(app.db, app.runs, cancelled.id, 'olivia');
    await until(() => hook.received.length === 2 && smtp.mails.length === 1);
    expect(bodies().map((b) => [b.type, b.data.run.id])).toEqual([['run.failed', run.id], ['run.cancelled', cancelled.id]]);
    expect(bodies()[0]).toMatchObject({ button: { name: 'restart', label: 'Restart' }, data: { run: { state: 'failed', exit_code: 3, runner: 'r1', requested_by: 'olivia', external: false, url: `https://switchyard.example.com/runs/${run.id}` } } });
    const mail = smtp.mails[0]!;
    expect(mail.user).toBe('mailer'); // logged in with the credentials from the environment
    expect(mail.to).toEqual(['ops@example.com', 'lead@example.com']);
    const text = readable(mail.raw);
    expect(text).toContain(`Subject: [Notify test] Deploy › Restart: run ${run.id} failed (exit code 3)`);
    expect(text).toContain('Content-Type: text/plain');
    expect(text).toContain('Content-Type: text/html');
    expect(text).toContain(`Open: https://switchyard.example.com/runs/${run.id}`);
    expect(text).toContain(`<a href="https://switchyard.example.com/runs/${run.id}">`);
    expect(text).toContain('Error: exit code 3');
  });

  it("a save and a restore are emailed to a page's subscriber with what changed; a permanent SMTP refusal is given up at once", async () => {
    const app = await newApp();
    work(app);
    const first = await saveOn(app, 'deploy', { retries: 7 });
    await until(() => smtp.mails.length === 1);
    await saveOn(app, 'deploy', { retries: 1 }, first.id);
    await until(() => smtp.mails.length === 2);
    expect(readable(smtp.mails[0]!.raw)).toContain('retries: 1 → 7');
    expect(readable(smtp.mails[1]!.raw)).toContain(`alice restored version ${first.id}`);
    smtp.refuse = 550;
    await saveOn(app, 'deploy', { retries: 2 });
    const [d] = await until(() => inState(app, 'mail', 'failed'));
    expect(d).toMatchObject({ attempts: 1, lastStatus: 550 });
    expect(d!.lastError).toContain('refused by the test (550)');
  });

  it('records nothing to send when no target wants the event, and a target removed from the config fails its deliveries with the reason', async () => {
    const app = await newApp();
    await saveOn(app, 'quiet', { a: 'x' }); // hook wants values.saved everywhere
    await fanOut(app.db, (await app.config.current()).config, app.settings.publicUrl);
    writeFileSync(join(dir, 'config.yaml'), configFor(hook.url, smtp.port).replace(/    - name: hook[\s\S]*?events: \[values.saved, run.failed\]\n/, '').replace(/        notify:\n          - \{target: hook, events: \[run.cancelled\]\}\n/, ''));
    await until(async () => (await app.config.current()).config.notify?.targets.length === 1);
    work(app);
    const [d] = await until(() => inState(app, 'hook', 'failed'));
    expect(d!.lastError).toBe('config.yaml names no target "hook" any more');
    await saveOn(app, 'quiet', { a: 'y' }); // nobody wants it now
    await new Promise((r) => setTimeout(r, 300));
    const { rows } = await app.db.execute('SELECT count(*) AS n FROM notification_events WHERE fanned_out = 0');
    expect(Number(rows[0]!.n)).toBe(0);
    expect(await deliveriesOf(app)).toHaveLength(1);
  });
});
