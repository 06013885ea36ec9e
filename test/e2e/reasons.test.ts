/**
 * Reasons and provenance in real Chromium: a reason typed beside Save shows
 * in the history, an export carries its provenance (or not, when asked), an
 * import is previewed and saved from the preview, and a restore on a page
 * that requires a reason asks for one before its dialog.
 */
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { parse } from 'yaml';
import { launchBrowser } from '../helpers/browser.ts';
import { EXAMPLE_CONFIG, startServer, type TestServer } from '../helpers/server.ts';

let server: TestServer;
let browser: Awaited<ReturnType<typeof launchBrowser>>;
let page: Page;
const consoleErrors: string[] = [];

const CONFIG = EXAMPLE_CONFIG.replace('  - slug: "data-processing"\n', '  - slug: "data-processing"\n    require_reason: true\n');

beforeAll(async () => {
  expect(CONFIG).not.toBe(EXAMPLE_CONFIG);
  server = await startServer({ config: CONFIG, users: [{ name: 'alice', role: 'editor', password: 'alice-password' }] });
  browser = await launchBrowser();
  page = await browser.context.newPage();
  page.on('console', (m) => {
    if (m.type() === 'error' && !/status of 422\b/.test(m.text())) consoleErrors.push(m.text());
  });
  page.on('pageerror', (e) => consoleErrors.push(e.message));
  await page.goto(`${server.url}/login`);
  await page.getByLabel('Username').fill('alice');
  await page.getByLabel('Password').fill('alice-password');
  await page.getByRole('button', { name: 'Log in' }).click();
  await page.waitForURL((u) => !u.pathname.startsWith('/login'));
});
afterAll(async () => {
  await browser?.close();
  await server?.stop();
});

const latestId = async () => Number((await server.db().execute('SELECT max(id) AS id FROM changes')).rows[0]!.id);

async function exported(leaveOut: boolean): Promise<string> {
  await page.goto(`${server.url}/page/toplevel`);
  if (leaveOut) await page.getByLabel('Leave out the provenance comments').check();
  const [download] = await Promise.all([page.waitForEvent('download', { timeout: 10_000 }), page.getByRole('button', { name: 'Export to YAML' }).click()]);
  return readFileSync((await download.path())!, 'utf8');
}

describe('reasons and provenance in the browser', () => {
  it('saves a reason typed beside Save, and refuses a save without one where the page requires it', async () => {
    await page.goto(`${server.url}/page/toplevel`);
    await page.getByLabel('Instance Name').fill('browser');
    await page.getByLabel('Reason for this change').fill('First real instance');
    await page.getByRole('button', { name: 'Save configuration' }).click();
    await page.getByTestId('notice-saved').waitFor();
    await page.goto(`${server.url}/page/toplevel/history`);
    expect(await page.getByTestId(`reason-${await latestId()}`).textContent()).toBe('Reason: First real instance');

    await page.goto(`${server.url}/page/data-processing`);
    await page.getByLabel('Inputs Directory').fill('/mnt/no-reason');
    await page.getByRole('button', { name: 'Save configuration' }).click();
    await page.getByTestId('error-summary').waitFor();
    expect(await page.getByTestId('error-summary').textContent()).toContain('Reason for this change: Give a reason for this change: this page asks for one with every save.');
    expect(await page.getByLabel('Inputs Directory').inputValue()).toBe('/mnt/no-reason');
    await page.getByLabel('Reason for this change').fill('New mount');
    await page.getByRole('button', { name: 'Save configuration' }).click();
    await page.getByTestId('notice-saved').waitFor();
  });

  it('exports with provenance comments, or without when asked', async () => {
    const withHeader = await exported(false);
    expect(withHeader).toMatch(/^# Switchyard values of page "Global Settings" \(toplevel\)\n# revision: \d+\n# saved by: alice\n/);
    const bare = await exported(true);
    expect(bare.startsWith('version:')).toBe(true);
    expect(parse(bare)).toEqual(parse(withHeader));
  });

  it('previews an import against the current values, and saves it from the preview with a reason', async () => {
    const file = (await exported(false)).replace('logging_level: info', 'logging_level: error');
    await page.goto(`${server.url}/page/toplevel`);
    await page.getByLabel('YAML file to import').setInputFiles({ name: 'edited.yaml', mimeType: 'text/yaml', buffer: Buffer.from(file) });
    const before = await latestId();
    await page.getByRole('button', { name: 'Preview the import' }).click();
    await page.getByTestId('import-preview').waitFor();
    expect((await page.getByTestId('import-preview').locator('[data-change]').allTextContents()).map((t) => t.replace(/\s+/g, ' ').trim())).toEqual(['Logging Level (logging_level): info → error']);
    expect(await latestId()).toBe(before);
    await page.getByLabel('Reason for this change').fill('Quieter logs');
    await page.getByTestId('import-save').click();
    await page.getByTestId('notice-saved').waitFor();
    expect(await page.getByLabel('Logging Level').inputValue()).toBe('error');
    await page.goto(`${server.url}/page/toplevel/history`);
    expect(await page.getByTestId(`reason-${await latestId()}`).textContent()).toBe('Reason: Quieter logs');
  });

  it('asks for the reason a page requires before the restore dialog, then restores with it', async () => {
    for (const dir of ['/mnt/one', '/mnt/two']) {
      await page.goto(`${server.url}/page/data-processing`);
      await page.getByLabel('Inputs Directory').fill(dir);
      await page.getByLabel('Reason for this change').fill(`Try ${dir}`);
      await page.getByRole('button', { name: 'Save configuration' }).click();
      await page.getByTestId('notice-saved').waitFor();
    }
    const first = (await latestId()) - 1;
    await page.goto(`${server.url}/page/data-processing/history`);
    const before = await latestId();
    await page.getByTestId(`restore-${first}`).click();
    // The browser holds the form back: no dialog, no save.
    expect(await page.getByTestId(`restore-reason-${first}`).evaluate((i: HTMLInputElement) => i.validity.valueMissing)).toBe(true);
    expect(await page.getByTestId('confirm-dialog').isVisible()).toBe(false);
    await page.getByTestId(`restore-reason-${first}`).fill('The new mount is not ready');
    await page.getByTestId(`restore-${first}`).click();
    const loaded = page.waitForEvent('load');
    await page.getByTestId('confirm-dialog').getByRole('button', { name: 'Restore', exact: true }).click();
    await loaded;
    await page.getByTestId('notice-saved').waitFor();
    expect(await latestId()).toBe(before + 1);
    const { rows } = await server.db().execute({ sql: 'SELECT reason FROM changes WHERE id = ?', args: [before + 1] });
    expect(rows[0]!.reason).toBe('The new mount is not ready');
  });

  it('logged no console errors', () => {
    expect(consoleErrors).toEqual([]);
  });
});
