/**
 * examples/print-queue as its README starts it, in Chromium: the lab manager
 * sets the printer and the limits, submits a model file through the site
 * (it lands in incoming/), approves a job in the button's dialog, and
 * the file is in approved/ on disk, priced with the new printer's rates, with
 * an email to the print desk through a real SMTP server. Two runs at once on
 * the runner's two slots: approving one job twice moves it once (the other run
 * fails saying where it is), and two starts take two different jobs. A student
 * (viewer) sees the queue but not the housekeeping page, where the nightly purge
 * shows its schedule. The queue page passes axe in light and dark.
 */
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { axeFindings, launchBrowser, logIn, watchedPage } from '../helpers/browser.ts';
import { Client, postJson } from '../helpers/client.ts';
import { startExample, type ExampleServer } from '../helpers/example.ts';
import { readable, smtpReceiver, type SmtpReceiver } from '../helpers/receivers.ts';
import { ended, waitForRun } from '../helpers/runs.ts';

const manager = { name: 'maria', role: 'editor' as const, password: 'manager-password-1' };
const student = { name: 'sam', role: 'viewer' as const, password: 'student-password-1' };

let server: ExampleServer;
let smtp: SmtpReceiver;
let browser: Awaited<ReturnType<typeof launchBrowser>>;
let page: Page;
const consoleErrors: string[] = [];
/** The run page of the approval made in the browser, and the housekeeping run before it. */
let approval = '';
let samplesRun = 0;

interface Run {
  id: number;
  state: string;
  exit_code: number | null;
  message: string | null;
}

/** The jobs in one of the queue's folders, as files on disk. */
const folder = (name: string) => readdirSync(join(server.dataDir, 'files/print-queue', name)).sort();

/** A client holding the browser's session, for starting runs side by side. */
async function session(): Promise<Client> {
  const c = new Client(server.url);
  for (const k of await page.context().cookies()) c.cookies.set(k.name, k.value);
  return c;
}

async function run(c: Client, path: string, inputs: Record<string, unknown> = {}): Promise<Run> {
  const res = await postJson(c, path, { inputs });
  expect(res.status, await res.clone().text()).toBe(201);
  const { id } = (await res.json()) as { id: number };
  return waitForRun<Run>(c, id, ended);
}

beforeAll(async () => {
  smtp = await smtpReceiver();
  // Two slots, so two runs really go at once.
  server = await startExample('print-queue', { users: [manager, student], env: { SWITCHYARD_RUNNER_SLOTS: '2' } });
  // The example mails through a relay on port 25; here the test's SMTP server stands in (config.yaml is read again live).
  const config = readFileSync(server.configPath, 'utf8');
  expect(config).toContain('port: 25,');
  writeFileSync(server.configPath, config.replace('port: 25,', `port: ${smtp.port},`));
  browser = await launchBrowser();
  page = await watchedPage(browser.context, consoleErrors);
}, 90_000);

afterAll(async () => {
  await browser?.close();
  await server?.stop();
  await smtp?.close();
});

describe('the print-queue example', { timeout: 90_000 }, () => {
  it('approves a job with the printer the manager chose: the file moves to approved/ and the desk gets an email', async () => {
    await logIn(page, server.url, manager, '/page/queue');
    expect(await page.getByRole('heading', { name: 'Print queue', level: 1 }).count()).toBe(1);
    const samples = await run(await session(), '/page/housekeeping/run/samples');
    expect(samples.state).toBe('succeeded');
    samplesRun = samples.id;
    expect(folder('incoming')).toEqual(['bracket.stl', 'gear.obj', 'phone-stand.stl']);

    await page.getByLabel('Printer').selectOption('Prusa XL');
    await page.getByLabel('Jobs printing at once').fill('2');
    await page.getByRole('button', { name: 'Save configuration' }).click();
    await page.getByTestId('notice-saved').waitFor();

    await page.getByTestId('run-approve').click();
    const dialog = page.getByRole('dialog', { name: 'Approve a job' });
    await dialog.getByLabel('Job (file name in incoming)').fill('bracket.stl');
    await dialog.getByLabel('Weight (g)').fill('12.5');
    await dialog.getByLabel('Print time (minutes)').fill('90');
    await dialog.getByTestId('run-go').click();
    await page.waitForURL(/\/runs\/\d+$/);
    await expect.poll(() => page.locator('.run-state').first().textContent(), { timeout: 15_000 }).toBe('succeeded');
    approval = new URL(page.url()).pathname;

    expect(folder('incoming')).toEqual(['gear.obj', 'phone-stand.stl']);
    expect(folder('approved')).toEqual(['bracket.stl']);
    const meta = JSON.parse(readFileSync(join(server.dataDir, 'files/print-queue', 'meta', 'bracket.stl.json'), 'utf8'));
    // 12.5 g × $0.09 + 90 min × $0.011 = 2.115, rounded half up: the Prusa XL's rates, not the default printer's ($1.90).
    expect(meta).toMatchObject({ printer: 'Prusa XL', weight_g: 12.5, time_min: 90, cost_usd: '2.12' });

    await expect.poll(() => smtp.mails.map((m) => readable(m.raw)).find((m) => m.includes('bracket.stl: incoming -> approved')), { timeout: 20_000 }).toBeTruthy();
    expect(smtp.mails[0]!.to).toEqual(['print-desk@lab.example.edu']);
  });

  it('moves a job once when two runs approve it at once, and two starts take two different jobs', async () => {
    const c = await session();
    const inputs = { job: 'phone-stand.stl', weight_g: 40, time_min: 200 };
    const both = await Promise.all([run(c, '/page/queue/run/approve', inputs), run(c, '/page/queue/run/approve', inputs)]);
    expect(both.map((r) => r.state).sort()).toEqual(['failed', 'succeeded']);
    const loser = both.find((r) => r.state === 'failed')!;
    expect(loser.message).toBe('Refused: phone-stand.stl is not in incoming/: it is in approved/.');
    expect(folder('incoming')).toEqual(['gear.obj']);
    expect(folder('approved')).toEqual(['bracket.stl', 'phone-stand.stl']);

    const starts = await Promise.all([run(c, '/page/queue/run/start'), run(c, '/page/queue/run/start')]);
    expect(starts.map((r) => r.state)).toEqual(['succeeded', 'succeeded']);
    expect(folder('approved')).toEqual([]);
    expect(folder('printing')).toEqual(['bracket.stl', 'phone-stand.stl']);
    // A third is refused: the limit saved above is two at once.
    const third = await run(c, '/page/queue/run/start', { job: 'gear.obj' });
    expect(third.message).toBe('Refused: 2 job(s) printing already, the limit is 2: finish one first.');

    expect((await run(c, '/page/queue/run/finish', { job: 'bracket.stl', outcome: 'done' })).state).toBe('succeeded');
    expect(folder('done')).toEqual(['bracket.stl']);
    // No temporary or half-written file was left anywhere in the queue.
    for (const f of ['incoming', 'approved', 'printing', 'done', 'failed', 'meta']) expect(folder(f).filter((n) => n.startsWith('.'))).toEqual([]);
  });

  it('refuses a job name that leaves the queue, and purges finished jobs', async () => {
    const c = await session();
    const escape = await run(c, '/page/queue/run/reject', { job: '../config.yaml', reason: 'nope' });
    expect(escape.state).toBe('failed');
    expect(escape.message).toContain("is not a job's file name");
    expect(existsSync(join(server.dir, 'config.yaml'))).toBe(true);

    await page.goto(`${server.url}/page/housekeeping`);
    // The nightly purge is on the page with its next moments.
    const schedule = page.getByTestId('schedule-purge');
    expect(await schedule.textContent()).toContain('At 02:30');
    expect(await schedule.getByTestId('schedule-next').locator('time').count()).toBe(3);
    await page.getByLabel('Keep finished jobs (days)').fill('0');
    await page.getByRole('button', { name: 'Save configuration' }).click();
    await page.getByTestId('notice-saved').waitFor();
    expect(await page.getByTestId('notice-saved').innerText()).toContain('14 → 0');
    const purge = await run(c, '/page/housekeeping/run/purge');
    expect(purge.message).toBe('Purged 1 finished job(s) older than 0 day(s)');
    expect(folder('done')).toEqual([]);
    expect(folder('meta')).not.toContain('bracket.stl.json');
  });

  it('takes a model file through Submit a job: it lands in incoming/ with the same bytes, a name in the queue already is refused, and its submitter is told when it moves', async () => {
    await page.goto(`${server.url}/page/queue`);
    await page.getByTestId('run-submit').click();
    const dialog = page.getByRole('dialog', { name: 'Submit a job' });
    const model = Buffer.from('solid lab_cube\n  facet normal 0 0 1\n  endfacet\nendsolid lab_cube\n');
    await dialog.getByLabel('Model file').setInputFiles({ name: 'lab-cube.stl', mimeType: 'model/stl', buffer: model });
    await dialog.getByTestId('run-go').click();
    await page.waitForURL(/\/runs\/\d+$/);
    await expect.poll(() => page.locator('.run-state').first().textContent(), { timeout: 15_000 }).toBe('succeeded');
    expect(folder('incoming')).toEqual(['gear.obj', 'lab-cube.stl']);
    expect(readFileSync(join(server.dataDir, 'files/print-queue', 'incoming', 'lab-cube.stl')).equals(model)).toBe(true);
    expect(JSON.parse(readFileSync(join(server.dataDir, 'files/print-queue', 'meta', 'lab-cube.stl.json'), 'utf8'))).toMatchObject({ submitted_by: manager.name });

    const again = await run(await session(), '/page/queue/run/submit', { job_file: { name: 'gear.obj', content_base64: Buffer.from('o gear\n').toString('base64') } });
    expect(again.state).toBe('failed');
    expect(again.message).toBe('Refused: A job named gear.obj is in incoming/ already; rename your file and submit it again.');
    expect(folder('incoming').filter((n) => n.startsWith('.'))).toEqual([]);

    // Approving it names its submitter, and the print desk's target tells her too, at her account's address.
    await server.db().execute({ sql: "UPDATE users SET email = 'maria@lab.example.edu' WHERE username = ?", args: [manager.name] });
    const approved = await run(await session(), '/page/queue/run/approve', { job: 'lab-cube.stl', weight_g: 5, time_min: 20 });
    expect(approved.state).toBe('succeeded');
    await expect
      .poll(() => smtp.mails.find((m) => readable(m.raw).includes('lab-cube.stl: incoming -> approved'))?.to.slice().sort(), { timeout: 20_000 })
      .toEqual(['maria@lab.example.edu', 'print-desk@lab.example.edu']);
  });

  it('lets a student see the queue but not housekeeping', async () => {
    const c = new Client(server.url);
    await c.login(student.name, student.password);
    const queue = await c.get('/page/queue');
    expect(queue.status).toBe(200);
    const html = await queue.text();
    expect(html).toContain('Print queue');
    expect(html).not.toContain('data-testid="run-approve"');
    expect((await c.get('/page/housekeeping')).status).toBe(403);
    // The queue's runs, whose reports list the queue, are the student's to read; housekeeping's are not.
    expect((await c.get(approval)).status).toBe(200);
    expect((await c.get(`/runs/${samplesRun}`)).status).not.toBe(200);
  });

  it('passes axe on the queue page, light and dark', async () => {
    // The button dialogs are the product's own, checked in run-inputs.test.ts; here the example's page.
    const found: string[] = [];
    for (const theme of ['light', 'dark']) {
      await page.evaluate((t) => localStorage.setItem('switchyard-theme', t), theme);
      await page.goto(`${server.url}/page/queue`);
      expect(await page.evaluate(() => document.documentElement.classList.contains('dark'))).toBe(theme === 'dark');
      // The run's report is the script's own text in a sandboxed frame, where axe cannot run.
      for (const f of await axeFindings(page, { withoutFrames: true })) found.push(`queue page (${theme}) ${f}`);
    }
    expect(found).toEqual([]);
  });

  it('showed no errors in the browser console', () => {
    expect(consoleErrors).toEqual([]);
  });
});
