/**
 * A person in real Chromium: log in, edit, save, see the history, export.
 * Any console error (a CSP violation included) fails the test.
 */
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { parse } from 'yaml';
import { launchBrowser, snapshot } from '../helpers/browser.ts';
import { startServer, type TestServer } from '../helpers/server.ts';

let server: TestServer;
let browser: Awaited<ReturnType<typeof launchBrowser>>;
let page: Page;
const consoleErrors: string[] = [];

beforeAll(async () => {
  server = await startServer({ users: [{ name: 'alice', role: 'editor', password: 'alice-password' }] });
  browser = await launchBrowser();
  page = watchConsole(await browser.context.newPage());
});

function watchConsole(p: Page): Page {
  p.on('console', (m) => {
    // The wrong-password (401) and refused-form (422) answers below are intended.
    if (m.type() === 'error' && !/status of (401|422)\b/.test(m.text())) consoleErrors.push(m.text());
  });
  p.on('pageerror', (e) => consoleErrors.push(e.message));
  return p;
}
/** Saved versions of all pages, as the database has them. */
async function versions(): Promise<number> {
  const { rows } = await server.db().execute('SELECT count(*) AS n FROM changes');
  return Number(rows[0]!.n);
}
afterAll(async () => {
  await browser?.close();
  await server?.stop();
});

describe('editing in the browser', () => {
  it('logs in and lands on the page it was sent from', async () => {
    await page.goto(`${server.url}/page/toplevel`);
    expect(new URL(page.url()).pathname).toBe('/login');
    await page.getByLabel('Username').fill('alice');
    await page.getByLabel('Password').fill('wrong-password');
    await page.getByRole('button', { name: 'Log in' }).click();
    await expect.poll(() => page.getByRole('alert').textContent()).toBe('Wrong username or password.');
    await page.getByLabel('Password').fill('alice-password');
    await page.getByRole('button', { name: 'Log in' }).click();
    await page.waitForURL(`${server.url}/page/toplevel`);
    expect(await page.getByRole('heading', { level: 1 }).textContent()).toBe('Global Settings');
    expect(await page.getByTestId('current-user').textContent()).toContain('alice');
  });

  it('shows errors beside their fields and keeps what was typed', async () => {
    await page.getByLabel('Project Version').fill('3.1');
    await page.getByLabel('Instance Name').fill('');
    await page.getByRole('button', { name: 'Save configuration' }).click();
    await page.getByTestId('notice-invalid').waitFor();
    expect(await page.locator('[data-error-for="instance_name"]').textContent()).toBe('This field is required.');
    expect(await page.getByLabel('Project Version').inputValue()).toBe('3.1');
    expect(await page.getByLabel('Instance Name').getAttribute('aria-invalid')).toBe('true');
    // Focus is on the summary of problems, whose entries lead to their fields.
    expect(await page.evaluate(() => document.activeElement?.getAttribute('data-testid'))).toBe('error-summary');
    await page.getByTestId('error-summary').getByRole('link', { name: 'Instance Name: This field is required.' }).click();
    expect(await page.evaluate(() => document.activeElement?.id)).toBe('field-instance_name');
  });

  it('saves, confirms what changed, and shows the new values', async () => {
    await page.getByLabel('Instance Name').fill('browser-instance');
    await page.getByLabel('Enable Debug Mode').check();
    await page.getByLabel('Logging Level').selectOption('error');
    await page.getByRole('button', { name: 'Save configuration' }).click();
    await page.getByTestId('notice-saved').waitFor();
    const notice = await page.getByTestId('notice-saved').innerText();
    expect(notice).toMatch(/Saved\. Version 1 by alice/);
    expect(notice).toContain('1.0 → 3.1');
    expect(notice).toContain('info → error');
    expect(await page.getByLabel('Instance Name').inputValue()).toBe('browser-instance');
    expect(await page.getByLabel('Enable Debug Mode').isChecked()).toBe(true);
    await snapshot(page, 'saved');
  });

  it('shows the save in the history', async () => {
    await page.getByRole('link', { name: 'History' }).click();
    await page.waitForURL(/\/history$/);
    const entry = page.locator('[data-version="1"]');
    expect(await entry.innerText()).toContain('alice');
    expect(await entry.locator('[data-change="instance_name"]').innerText()).toContain('(empty) → browser-instance');
    await page.getByRole('link', { name: '← Global Settings' }).click();
  });

  it('refuses a file name with a folder in it beside the field, keeping what was typed, and downloads nothing', async () => {
    await page.waitForURL(`${server.url}/page/toplevel`, { timeout: 10_000 });
    const downloads: string[] = [];
    const onDownload = (d: { suggestedFilename(): string }) => downloads.push(d.suggestedFilename());
    page.on('download', onDownload);
    try {
      await page.getByLabel('Project Version').fill('9.9');
      await page.getByLabel('File name').fill('../prod settings');
      await page.getByRole('button', { name: 'Export to YAML' }).click();
      await page.getByTestId('notice-invalid').waitFor();
      const field = page.getByLabel('File name');
      expect(await field.inputValue()).toBe('../prod settings');
      expect(await field.getAttribute('aria-invalid')).toBe('true');
      // The message is the field's description, so a screen reader reads it with the field.
      const describedBy = (await field.getAttribute('aria-describedby'))!;
      expect(await page.locator(`#${describedBy}`).textContent()).toBe('A file name cannot contain “/” or “\\”: your browser decides which folder the file goes to.');
      expect(await page.getByTestId('notice-invalid').textContent()).toContain('Nothing was exported');
      expect(await page.getByLabel('Project Version').inputValue()).toBe('9.9');
      expect(downloads).toEqual([]);
    } finally {
      page.off('download', onDownload);
    }
  });

  it('exports the form as a YAML download under the name typed, saving nothing', async () => {
    await page.getByLabel('File name').fill('prod settings');
    const [download] = await Promise.all([page.waitForEvent('download', { timeout: 10_000 }), page.getByRole('button', { name: 'Export to YAML' }).click()]);
    expect(download.suggestedFilename()).toBe('prod settings.yaml');
    const body = readFileSync((await download.path())!, 'utf8');
    expect(parse(body)).toEqual({ version: '9.9', instance_name: 'browser-instance', debug_mode: true, logging_level: 'error' });
    await page.goto(`${server.url}/page/toplevel`);
    expect(await page.getByLabel('Project Version').inputValue()).toBe('3.1');
  });

  it('exports on Enter in the file name, with the values as typed, saving nothing', async () => {
    const before = await versions();
    await page.getByLabel('Project Version').fill('8.8');
    await page.getByLabel('File name').fill('from-enter');
    const [download] = await Promise.all([page.waitForEvent('download', { timeout: 10_000 }), page.getByLabel('File name').press('Enter')]);
    expect(download.suggestedFilename()).toBe('from-enter.yaml');
    expect(parse(readFileSync((await download.path())!, 'utf8'))).toMatchObject({ version: '8.8', instance_name: 'browser-instance' });
    expect(await versions()).toBe(before);
    await page.reload();
    expect(await page.getByLabel('Project Version').inputValue()).toBe('3.1');
  });

  it('still saves on Enter in a parameter field', async () => {
    const before = await versions();
    await page.getByLabel('Instance Name').fill('saved-by-enter');
    await page.getByLabel('Instance Name').press('Enter');
    await page.getByTestId('notice-saved').waitFor();
    expect(await versions()).toBe(before + 1);
  });

  it('styles the import file picker like the secondary buttons, in light and dark, with its label', async () => {
    await page.goto(`${server.url}/page/toplevel`);
    // Found by its label: the label is tied to the input.
    const picker = page.getByLabel('YAML file to import');
    expect(await picker.getAttribute('type')).toBe('file');
    const looks = (el: Element, pseudo: string | null) => {
      const s = getComputedStyle(el, pseudo);
      return [s.backgroundColor, s.color, s.borderTopColor, s.borderTopStyle, s.borderTopWidth, s.borderTopLeftRadius, s.fontWeight, s.paddingLeft].join(' | ');
    };
    for (const dark of [false, true]) {
      await page.evaluate((d) => document.documentElement.classList.toggle('dark', d), dark);
      const button = await page.getByRole('button', { name: 'Preview the import' }).evaluate(looks, null);
      expect(await picker.evaluate(looks, '::file-selector-button'), dark ? 'dark' : 'light').toBe(button);
    }
    await page.reload(); // back to the theme the browser keeps
  });

  it('toggles the dark theme and keeps it across pages', async () => {
    const isDark = () => page.evaluate(() => document.documentElement.classList.contains('dark'));
    const before = await isDark();
    await page.getByRole('button', { name: before ? 'Switch to light theme' : 'Switch to dark theme' }).click();
    expect(await isDark()).toBe(!before);
    await page.goto(`${server.url}/page/data-processing`);
    expect(await isDark()).toBe(!before);
    await snapshot(page, 'theme');
  });

  it('shows a field only in the mode it belongs to, saves lists and keeps a secret unseen', async () => {
    await page.goto(`${server.url}/page/field-types`);
    const depth = page.getByLabel('Search depth');
    expect(await depth.isVisible()).toBe(false);
    await page.getByLabel('Mode').selectOption('advanced');
    await expect.poll(() => depth.isVisible()).toBe(true);
    await page.getByLabel('Mode').selectOption('simple');
    await expect.poll(() => depth.isVisible()).toBe(false);
    // Hidden and empty, the required depth does not stop the save.
    await page.getByRole('checkbox', { name: 'asia' }).check();
    await page.getByLabel('API token').fill('browser-token-1');
    await page.getByLabel('Notes').fill('line one\nline two');
    await page.getByRole('button', { name: 'Save configuration' }).click();
    await page.getByTestId('notice-saved').waitFor();
    expect(await page.getByTestId('notice-saved').textContent()).toContain('secret set');
    expect(await page.content()).not.toContain('browser-token-1');
    expect(await page.getByLabel('API token').inputValue()).toBe('');
    expect(await page.getByRole('checkbox', { name: 'asia' }).isChecked()).toBe(true);
    expect(await page.getByLabel('Notes').inputValue()).toBe('line one\nline two');
    // Shown and empty, it does.
    await page.getByLabel('Mode').selectOption('advanced');
    await page.getByRole('button', { name: 'Save configuration' }).click();
    await page.getByTestId('notice-invalid').waitFor();
    expect(await page.locator('[data-error-for="depth"]').textContent()).toBe('This field is required.');
    expect(await depth.isVisible()).toBe(true);
    expect(await page.locator('[data-secret-state]').textContent()).toContain('Set — leave empty to keep it');
  });

  it('clears a saved secret only when asked, and then says it is not set', async () => {
    await page.goto(`${server.url}/page/field-types`);
    await page.getByLabel('API token').fill('browser-token-2');
    await page.getByRole('button', { name: 'Save configuration' }).click();
    await page.getByTestId('notice-saved').waitFor();
    // Saved again with the field empty and the box unticked: kept.
    await page.getByLabel('Notes').fill('kept the token');
    await page.getByRole('button', { name: 'Save configuration' }).click();
    await page.getByTestId('notice-saved').waitFor();
    expect(await page.getByTestId('notice-saved').textContent()).not.toContain('secret');
    expect(await page.locator('[data-secret-state]').getAttribute('data-secret-state')).toBe('set');
    await page.getByLabel('Clear this secret when saving').check();
    await page.getByRole('button', { name: 'Save configuration' }).click();
    await page.getByTestId('notice-saved').waitFor();
    expect(await page.getByTestId('notice-saved').textContent()).toContain('secret cleared');
    expect(await page.locator('[data-secret-state]').getAttribute('data-secret-state')).toBe('unset');
    expect(await page.getByLabel('Clear this secret when saving').count()).toBe(0);
  });

});

describe('on a phone-sized screen', () => {
  it('opens the page list from the menu button and closes it with Escape or a tap outside', async () => {
    const phone = watchConsole(await browser.context.newPage());
    try {
      await phone.setViewportSize({ width: 390, height: 760 });
      await phone.goto(`${server.url}/page/toplevel`);
      const nav = phone.getByRole('navigation', { name: 'Pages' });
      const onScreen = async () => ((await nav.boundingBox())?.x ?? -1000) >= 0;
      expect(await onScreen()).toBe(false);
      await phone.getByRole('button', { name: 'Pages' }).click();
      await expect.poll(onScreen).toBe(true);
      await phone.keyboard.press('Escape');
      await expect.poll(onScreen).toBe(false);
      await phone.getByRole('button', { name: 'Pages' }).click();
      await expect.poll(onScreen).toBe(true);
      await phone.mouse.click(370, 400);
      await expect.poll(onScreen).toBe(false);
    } finally {
      await phone.close();
    }
  });
});

describe('the browser console', () => {
  it('showed no errors or CSP violations on any page above', () => {
    expect(consoleErrors).toEqual([]);
  });
});
