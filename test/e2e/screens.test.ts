/**
 * Every screen, in real Chromium, light and dark, on a desktop and on a
 * 390 px phone: axe-core finds no WCAG 2.1 A/AA violation, nothing scrolls
 * sideways, the header fits, and stacked table rows keep every value on screen.
 */
import { AxeBuilder } from '@axe-core/playwright';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { launchBrowser } from '../helpers/browser.ts';
import { Client, postJson, secretOf } from '../helpers/client.ts';
import { save } from '../helpers/publication.ts';
import { startRunner, type TestRunner } from '../helpers/runner.ts';
import { ended, waitForRun } from '../helpers/runs.ts';
import { EXAMPLE_CONFIG, ROOT, startServer, type TestServer } from '../helpers/server.ts';

let server: TestServer;
let runner: TestRunner;
let browser: Awaited<ReturnType<typeof launchBrowser>>;
let page: Page;
let runId = 0;
let versions: number[] = [];

const WCAG = ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'];
const THEMES = ['light', 'dark'] as const;
const SIZES = [
  { name: 'desktop', width: 1280, height: 900 },
  { name: 'phone', width: 390, height: 844 },
] as const;

beforeAll(async () => {
  // Notification targets that cannot be reached, so the Deliveries screen shows targets and deliveries given up.
  const notify = `
notify:
  smtp: {host: 127.0.0.1, port: 9, tls: none, from: "Switchyard <switchyard@example.com>"}
  targets:
    - name: ops-hook
      webhook: {url: "http://127.0.0.1:9/switchyard", secret_env: SCREENS_WEBHOOK_SECRET}
      events: [values.saved]
    - name: team
      email: {to: [team@example.com]}
      events: [values.saved]
`;
  server = await startServer({
    config: EXAMPLE_CONFIG + notify,
    env: { SCREENS_WEBHOOK_SECRET: 'screens-secret-key', SWITCHYARD_DELIVERY_ATTEMPTS: '1' },
    users: [
      { name: 'root', role: 'admin', password: 'root-password' },
      { name: 'ed', role: 'editor', password: 'ed-password' },
    ],
  });
  runner = await startRunner(server, 'screens', { SWITCHYARD_RUNNER_ROOT: ROOT, SWITCHYARD_STEP_SECONDS: '0.05' });
  const c = new Client(server.url);
  await c.login('root', 'root-password');
  versions = [await save(c, 'data-processing', { inputs_directory: '/mnt/a' }), await save(c, 'data-processing', { inputs_directory: '/mnt/b' })];
  runId = ((await (await postJson(c, '/page/data-processing/run/start_processing')).json()) as { id: number }).id;
  await waitForRun(c, runId, ended);
  await c.submit('/admin/runners', { action: 'create-runner', name: 'build-01' });
  await c.submit('/account', { action: 'create-token', name: 'nightly export' });
  await new Client(server.url).post('/login', { username: 'ed', password: 'wrong-password' });

  browser = await launchBrowser();
  page = await browser.context.newPage();
  await logIn('root', 'root-password');
});
afterAll(async () => {
  await browser?.close();
  await runner?.stop();
  await server?.stop();
});

/** What axe says about the page as it is now, one line per failing element. */
async function violations(): Promise<string[]> {
  // Frames are left out: the only one is a run's report, the script's own HTML in a sandbox without
  // scripts, where axe cannot run (and would wait for it). Its title is checked in runs.test.ts.
  const { violations } = await new AxeBuilder({ page }).withTags(WCAG).exclude('iframe').options({ iframes: false }).setLegacyMode().analyze();
  return violations.flatMap((v) => v.nodes.map((n) => `${v.id}: ${n.target.join(' ')} — ${n.failureSummary?.replace(/\s+/g, ' ')}`));
}

/** How the page fits a phone: sideways scroll, header overflow, and stacked cells off screen. */
async function phoneProblems(): Promise<string[]> {
  return page.evaluate(() => {
    const problems: string[] = [];
    const width = window.innerWidth;
    if (document.documentElement.scrollWidth > width) problems.push(`page is ${document.documentElement.scrollWidth}px wide`);
    const header = document.querySelector('header');
    if (header && header.scrollWidth > header.clientWidth) problems.push(`header needs ${header.scrollWidth}px`);
    for (const cell of document.querySelectorAll<HTMLElement>('table.table-stack td')) {
      const box = cell.getBoundingClientRect();
      if (box.right > width + 0.5 || box.width === 0) problems.push(`cell "${cell.dataset.label}" at ${Math.round(box.left)}–${Math.round(box.right)}px`);
    }
    return problems;
  });
}

async function setTheme(theme: 'light' | 'dark') {
  await page.evaluate((t) => localStorage.setItem('switchyard-theme', t), theme);
}

async function logIn(name: string, password: string) {
  await page.goto(`${server.url}/login`);
  await page.getByLabel('Username').fill(name);
  await page.getByLabel('Password').fill(password);
  await page.getByRole('button', { name: 'Log in' }).click();
  await page.waitForURL((u) => !u.pathname.startsWith('/login'));
}

/** Checks one screen in every theme and size; `open` brings the page to the state to check. */
async function check(name: string, open: () => Promise<unknown>) {
  const found: string[] = [];
  for (const size of SIZES) {
    await page.setViewportSize({ width: size.width, height: size.height });
    for (const theme of THEMES) {
      await setTheme(theme);
      await open();
      expect(await page.evaluate(() => document.documentElement.classList.contains('dark'))).toBe(theme === 'dark');
      for (const v of await violations()) found.push(`${name} (${size.name}, ${theme}) ${v}`);
      if (size.name === 'phone') for (const p of await phoneProblems()) found.push(`${name} (phone, ${theme}) ${p}`);
    }
  }
  expect(found).toEqual([]);
}

const visit = (path: string) => () => page.goto(`${server.url}${path}`);

describe('every screen passes axe and fits a phone', { timeout: 180_000 }, () => {
  it('the login page, and its refusal', async () => {
    await browser.context.clearCookies();
    await page.goto(`${server.url}/login`);
    expect(await page.getByRole('navigation', { name: 'Pages' }).count(), 'no page list before logging in').toBe(0);
    await check('login', visit('/login'));
    await check('login refused', async () => {
      await page.goto(`${server.url}/login`);
      await page.getByLabel('Username').fill('nobody');
      await page.getByLabel('Password').fill('nothing-here');
      await page.getByRole('button', { name: 'Log in' }).click();
      await page.getByTestId('login-error').waitFor();
    });
    await logIn('root', 'root-password');
  });

  it('a page of parameters, saved, refused, and one with buttons', async () => {
    await check('page', visit('/page/toplevel'));
    await check('page saved', visit(`/page/data-processing?saved=${versions[1]}`));
    await check('page refused', async () => {
      await page.goto(`${server.url}/page/toplevel`);
      await page.getByLabel('Instance Name').fill('');
      await page.getByRole('button', { name: 'Save configuration' }).click();
      await page.getByTestId('error-summary').waitFor();
    });
    await check('page with buttons and a schedule', visit('/page/database-backup'));
    await page.goto(`${server.url}/page/database-backup`);
    await page.getByTestId('schedule-pause-run_backup').click();
    await check('page with a paused schedule', visit('/page/database-backup'));
    await page.getByTestId('schedule-resume-run_backup').click();
  });

  it('the page with every field type: advanced mode shown, refused, and with a secret saved', async () => {
    await check('field types', visit('/page/field-types'));
    await check('field types refused', async () => {
      await page.goto(`${server.url}/page/field-types`);
      await page.getByLabel('Mode').selectOption('advanced');
      await page.getByLabel('Change ticket').fill('nope');
      await page.getByRole('button', { name: 'Save configuration' }).click();
      await page.getByTestId('error-summary').waitFor();
    });
    await page.goto(`${server.url}/page/field-types`);
    await page.getByLabel('API token').fill('screens-token');
    await page.getByRole('button', { name: 'Save configuration' }).click();
    await page.getByTestId('notice-saved').waitFor();
    await check('field types saved', visit('/page/field-types'));
  });

  it('history and a comparison', async () => {
    await check('history', visit('/page/data-processing/history'));
    await check('compare', visit(`/page/data-processing/history?from=${versions[0]}&to=${versions[1]}`));
  });

  it('reasons and provenance: a reason refused, the history with reasons, an import preview', async () => {
    const c = new Client(server.url);
    await c.login('ed', 'ed-password');
    await save(c, 'data-processing', { inputs_directory: '/mnt/with-reason', _reason: 'Moved to the bigger disk\nbefore the holiday peak' });
    await check('history with reasons', visit('/page/data-processing/history'));
    await check('page with a reason refused', async () => {
      await page.goto(`${server.url}/page/data-processing`);
      await page.getByLabel('Reason for this change').fill('1\n2\n3\n4\n5\n6');
      await page.getByRole('button', { name: 'Save configuration' }).click();
      await page.getByTestId('error-summary').waitFor();
    });
    await check('import preview', async () => {
      await page.goto(`${server.url}/page/toplevel`);
      const file = 'version: "9.9"\ninstance_name: imported\ncolour: red\n';
      await page.getByLabel('YAML file to import').setInputFiles({ name: 'values.yaml', mimeType: 'text/yaml', buffer: Buffer.from(file) });
      await page.getByRole('button', { name: 'Preview the import' }).click();
      await page.getByTestId('import-preview').waitFor();
    });
  });

  it('a run and the runs list', async () => {
    await check('run', visit(`/runs/${runId}`));
    await check('runs', visit('/runs'));
    const here = () => page.getByRole('navigation', { name: 'Sections' }).locator('[aria-current="page"]').textContent();
    expect(await here()).toBe('Runs');
    await page.goto(`${server.url}/admin/audit`);
    expect(await here()).toBe('Admin');
    await page.goto(`${server.url}/page/toplevel`);
    expect(await page.getByRole('navigation', { name: 'Sections' }).locator('[aria-current="page"]').count()).toBe(0);
  });

  it('the dashboard with its duration chart, and a searched runs list', async () => {
    const refused: string[] = [];
    page.on('console', (m) => void (/Content.Security.Policy/i.test(m.text()) && refused.push(m.text())));
    await check('dashboard', visit('/dashboard'));
    await page.locator('.duration-chart canvas').first().waitFor();
    await check('dashboard, durations as a table', async () => {
      await page.goto(`${server.url}/dashboard`);
      await page.getByText('Durations as a table').first().click();
    });
    await check('runs searched', visit(`/runs?q=processing&from=2000-01-01&to=2999-12-31`));
    expect(refused).toEqual([]);
  });

  it('the admin pages, with an outcome, a secret and the confirm dialog open', async () => {
    await check('users', visit('/admin/users'));
    await check('sessions', visit('/admin/sessions'));
    await check('runners', visit('/admin/runners'));
    await check('audit', visit('/admin/audit'));
    await check('deliveries', async () => {
      await page.goto(`${server.url}/admin/deliveries`);
      await page.locator('tr[data-state="failed"]').first().waitFor();
    });
    await check('new password shown once', async () => {
      await page.goto(`${server.url}/admin/users`);
      await page.locator('tr[data-user="ed"]').getByRole('button', { name: 'Reset password' }).click();
      await page.getByRole('dialog').getByRole('button', { name: 'Reset password' }).click();
      await page.getByTestId('secret').waitFor();
    });
    await check('confirm dialog', async () => {
      await page.goto(`${server.url}/admin/users`);
      await page.locator('tr[data-user="ed"]').getByRole('button', { name: 'Disable' }).click();
      await page.getByRole('dialog').waitFor();
    });
  });

  it('the account page', async () => {
    await check('account', visit('/account'));
  });

  it('error pages', async () => {
    await check('not found', visit('/no/such/page'));
    await check('unknown run', visit('/runs/999999'));
    await browser.context.clearCookies();
    await logIn('ed', await newPasswordFor('ed'));
    await check('forbidden', visit('/admin/users'));
  });
});

/** Sets a known password for `name` through the admin page (tests above reset it). */
async function newPasswordFor(name: string): Promise<string> {
  const c = new Client(server.url);
  await c.login('root', 'root-password');
  const { html } = await c.submit('/admin/users', { action: 'reset-password', username: name });
  return secretOf(html)!;
}
