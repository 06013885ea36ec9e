/**
 * Destructive actions ask first, in the app's own dialog, in real Chromium:
 * Escape and Cancel change nothing and give focus back to the button;
 * Confirm acts, and the outcome (a one-time secret too) is shown once.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Locator, Page } from 'playwright-core';
import { launchBrowser } from '../helpers/browser.ts';
import { Client, secretOf } from '../helpers/client.ts';
import { save } from '../helpers/publication.ts';
import { EXAMPLE_CONFIG, startServer, type TestServer } from '../helpers/server.ts';

let server: TestServer;
let browser: Awaited<ReturnType<typeof launchBrowser>>;
let page: Page;
const consoleErrors: string[] = [];

const CONFIG = EXAMPLE_CONFIG.replace(/( +)label: \{en: "Run Backup Now".*\n/, (line, indent: string) => `${line}${indent}confirm: "This stops writes to the database for a minute."\n`);
if (CONFIG === EXAMPLE_CONFIG) throw new Error('the example config no longer has the backup button this test gives a confirm');

beforeAll(async () => {
  server = await startServer({
    config: CONFIG,
    users: [
      { name: 'root', role: 'admin', password: 'root-password' },
      { name: 'ed', role: 'editor', password: 'ed-password' },
    ],
  });
  browser = await launchBrowser();
  page = await browser.context.newPage();
  page.on('console', (m) => m.type() === 'error' && consoleErrors.push(m.text()));
  page.on('pageerror', (e) => consoleErrors.push(e.message));
  await page.goto(`${server.url}/login?next=/admin/users`);
  await page.getByLabel('Username').fill('root');
  await page.getByLabel('Password').fill('root-password');
  await page.getByRole('button', { name: 'Log in' }).click();
  await page.waitForURL(`${server.url}/admin/users`);
});
afterAll(async () => {
  await browser?.close();
  await server?.stop();
});

const one = async (sql: string, args: (string | number)[] = []) => (await server.db().execute({ sql, args })).rows[0];
const dialog = () => page.getByRole('dialog');

/** Opens the dialog from `button`, checks its words, dismisses it both ways, and checks focus came back each time. */
async function askedAndDismissed(button: Locator, title: string, unchanged: () => Promise<unknown>, back = 'Cancel') {
  const before = await unchanged();
  for (const dismiss of ['Escape', back]) {
    await button.click();
    await dialog().waitFor();
    expect(await page.getByRole('dialog', { name: title }).count()).toBe(1);
    expect(await page.evaluate(() => document.activeElement?.textContent)).toBe(back);
    if (dismiss === 'Escape') await page.keyboard.press('Escape');
    else await dialog().getByRole('button', { name: back, exact: true }).click();
    await dialog().waitFor({ state: 'hidden' });
    expect(await button.evaluate((b) => b === document.activeElement), `focus back after ${dismiss}`).toBe(true);
  }
  expect(await unchanged()).toEqual(before);
}

/** Confirms in the dialog and waits for the page the form's answer leads to (the same address, for some). */
async function confirmed(button: Locator, confirmLabel: string) {
  await button.click();
  const loaded = page.waitForEvent('load');
  await dialog().getByRole('button', { name: confirmLabel, exact: true }).click();
  await loaded;
}

describe('asking before a destructive action', () => {
  it('disables a user only once confirmed', async () => {
    const disabled = async () => (await one("SELECT disabled FROM users WHERE username = 'ed'"))!.disabled;
    const button = page.locator('tr[data-user="ed"]').getByRole('button', { name: 'Disable' });
    await askedAndDismissed(button, 'Disable "ed"?', disabled);
    await confirmed(button, 'Disable');
    await page.waitForURL(/\/admin\/users\?done=/);
    expect(await disabled()).toBe(1);
    await page.locator('tr[data-user="ed"]').getByRole('button', { name: 'Enable' }).click(); // not destructive: no dialog
    await page.waitForURL(/\/admin\/users\?done=/);
    expect(await disabled()).toBe(0);
  });

  it('resets a password once confirmed, showing it once in a box to copy', async () => {
    const hash = async () => (await one("SELECT password_hash FROM users WHERE username = 'ed'"))!.password_hash;
    const button = page.locator('tr[data-user="ed"]').getByRole('button', { name: 'Reset password' });
    await askedAndDismissed(button, 'Reset the password of "ed"?', hash);
    await confirmed(button, 'Reset password');
    const secret = page.getByLabel('New password for "ed"');
    const password = await secret.inputValue();
    expect(password).toMatch(/^[\w-]{16}$/);
    expect(await secret.evaluate((e) => getComputedStyle(e).fontFamily)).toMatch(/mono/i);
    expect(await page.getByText('Shown once.').count()).toBe(1);
    await page.getByRole('button', { name: 'Copy' }).click();
    await page.getByText(/^(Copied\.|Selected: press Ctrl-C)/).waitFor();
    await page.reload();
    expect(await page.getByLabel('New password for "ed"').count()).toBe(0);
    await new Client(server.url).login('ed', password);
  });

  it('changes a role only once confirmed', async () => {
    const role = async () => (await one("SELECT role FROM users WHERE username = 'ed'"))!.role;
    const row = page.locator('tr[data-user="ed"]');
    await row.getByLabel('Role of ed').selectOption('viewer');
    await askedAndDismissed(row.getByRole('button', { name: 'Change' }), 'Change the role of "ed"?', role);
    await confirmed(row.getByRole('button', { name: 'Change' }), 'Change role');
    await page.waitForURL(/\?done=/);
    expect(await role()).toBe('viewer');
  });

  it('ends a session only once confirmed', async () => {
    await new Client(server.url).login('ed', await resetEd());
    await page.goto(`${server.url}/admin/sessions`);
    const sessions = async () => (await one("SELECT count(*) AS n FROM sessions s JOIN users u ON u.id = s.user_id WHERE u.username = 'ed'"))!.n;
    const button = page.locator('tr[data-session-user="ed"]').first().getByRole('button', { name: 'End session' });
    await askedAndDismissed(button, 'End this session of "ed"?', sessions);
    await confirmed(button, 'End session');
    await page.waitForURL(/\?done=/);
    expect(await sessions()).toBe(0);
  });

  it('gives a runner a new token and revokes it only once confirmed', async () => {
    await page.goto(`${server.url}/admin/runners`);
    await page.getByLabel('New runner').fill('build-01');
    await page.getByRole('button', { name: 'Create token' }).click();
    await page.waitForURL(/\?done=/);
    const first = await page.getByLabel('Token for runner "build-01"').inputValue();
    const hash = async () => (await one("SELECT token_hash, revoked_at FROM runners WHERE name = 'build-01'"));
    const rotate = page.locator('tr[data-runner="build-01"]').getByRole('button', { name: 'New token' });
    await askedAndDismissed(rotate, 'Give runner "build-01" a new token?', hash);
    await confirmed(rotate, 'New token');
    expect(await page.getByLabel('Token for runner "build-01"').inputValue()).not.toBe(first);
    const revoke = page.locator('tr[data-runner="build-01"]').getByRole('button', { name: 'Revoke' });
    await askedAndDismissed(revoke, 'Revoke runner "build-01"?', hash);
    await confirmed(revoke, 'Revoke');
    expect((await hash())!.revoked_at).not.toBeNull();
  });

  it('revokes an API token only once confirmed', async () => {
    await page.goto(`${server.url}/account`);
    await page.getByLabel('What will use it').fill('nightly');
    await page.getByRole('button', { name: 'Create token' }).click();
    await page.getByLabel('API token "nightly"').waitFor();
    const revoked = async () => (await one("SELECT revoked_at FROM api_tokens WHERE name = 'nightly'"))!.revoked_at;
    const button = page.locator('[data-token="nightly"]').getByRole('button', { name: 'Revoke' });
    await askedAndDismissed(button, 'Revoke token "nightly"?', revoked);
    await confirmed(button, 'Revoke');
    await page.waitForURL(/\?done=/);
    expect(await revoked()).not.toBeNull();
  });

  it('restores a version only once confirmed', async () => {
    const c = new Client(server.url);
    await c.login('root', 'root-password');
    const first = await save(c, 'data-processing', { inputs_directory: '/mnt/first' });
    await save(c, 'data-processing', { inputs_directory: '/mnt/second' });
    await page.goto(`${server.url}/page/data-processing/history`);
    const latest = async () => (await one("SELECT max(id) AS id FROM changes WHERE page_slug = 'data-processing'"))!.id;
    const button = page.getByTestId(`restore-${first}`);
    await askedAndDismissed(button, `Restore version ${first}?`, latest);
    await confirmed(button, 'Restore');
    await page.waitForURL(/\/page\/data-processing\?saved=/);
    expect(await page.getByLabel('Inputs Directory').inputValue()).toBe('/mnt/first');
  });

  it('asks with the config\'s words before a run button, and before cancelling the run', async () => {
    await page.goto(`${server.url}/page/database-backup`);
    const runs = async () => (await one('SELECT count(*) AS n FROM runs'))!.n;
    const button = page.getByTestId('run-run_backup');
    await askedAndDismissed(button, 'Run Backup Now?', runs);
    await button.click();
    expect(await dialog().getByText('This stops writes to the database for a minute.').count()).toBe(1);
    await dialog().getByRole('button', { name: 'Run Backup Now' }).click();
    await page.waitForURL(/\/runs\/\d+$/);
    // No runner: the run waits in the queue, and may be cancelled there.
    const state = async () => (await one('SELECT state FROM runs ORDER BY id DESC LIMIT 1'))!.state;
    const cancel = page.getByTestId('cancel');
    await askedAndDismissed(cancel, `Cancel run ${page.url().split('/').pop()}?`, state, 'Keep it running');
    await confirmed(cancel, 'Cancel run');
    await expect.poll(state).toBe('cancelled');
  });

  it('showed no errors in the browser console', () => {
    expect(consoleErrors).toEqual([]);
  });
});

/** Gives ed a known password again (the reset test changed it) and returns it. */
async function resetEd(): Promise<string> {
  const c = new Client(server.url);
  await c.login('root', 'root-password');
  const { html } = await c.submit('/admin/users', { action: 'reset-password', username: 'ed' });
  return secretOf(html)!;
}
