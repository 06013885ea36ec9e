/**
 * A change made in Git, in real Chromium: the editor sees it offered with
 * its changes, adopting asks first in the app's dialog and leads to the
 * history, which names the commit; an admin sees a refused change with its
 * reason. Each state passes axe in light and dark, on a desktop and at 390 px.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { axeFindings, launchBrowser, logIn, watchedPage } from '../helpers/browser.ts';
import { Client } from '../helpers/client.ts';
import { git, save, until } from '../helpers/publication.ts';
import { EXAMPLE_CONFIG, startServer, type TestServer } from '../helpers/server.ts';

let server: TestServer;
let browser: Awaited<ReturnType<typeof launchBrowser>>;
let page: Page;
const errors: string[] = [];
const FILE = 'values/data-processing.yaml';

beforeAll(async () => {
  server = await startServer({
    config: `${EXAMPLE_CONFIG}\ngit:\n  local:\n    path: values-repo\n`,
    env: { SWITCHYARD_GIT_POLL_MS: '300' },
    users: [
      { name: 'ed', role: 'editor', password: 'ed-password' },
      { name: 'root', role: 'admin', password: 'root-password' },
    ],
  });
  const c = new Client(server.url);
  await c.login('ed', 'ed-password');
  await until(server, await save(c, 'data-processing', { inputs_directory: '/mnt/ours' }), (p) => p.state === 'committed');
  browser = await launchBrowser();
  page = await watchedPage(browser.context, errors);
});
afterAll(async () => {
  await browser?.close();
  await server?.stop();
});

/** Someone commits a new value for the page's only parameter in the working copy. */
function commitElsewhere(value: string, message: string): string {
  const repo = join(server.dir, 'values-repo');
  const path = join(repo, FILE);
  writeFileSync(path, readFileSync(path, 'utf8').replace(/^inputs_directory: .*$/m, `inputs_directory: ${value}`));
  git(repo, 'commit', '--quiet', '-am', message);
  return git(repo, 'rev-parse', 'HEAD');
}

/** The page, reloaded until it shows a change made in Git in `state`. */
async function openWith(state: 'offered' | 'refused') {
  await expect.poll(async () => {
    await page.goto(`${server.url}/page/data-processing`);
    return page.locator(`[data-testid="git-change"][data-state="${state}"]`).count();
  }, { timeout: 20_000, interval: 300 }).toBe(1);
}

/** axe in light and dark, on a desktop and a phone, and nothing scrolling sideways on the phone. */
async function passesEverywhere(name: string, open: () => Promise<unknown>) {
  const found: string[] = [];
  for (const size of [{ width: 1280, height: 900 }, { width: 390, height: 844 }]) {
    await page.setViewportSize(size);
    for (const theme of ['light', 'dark']) {
      await page.evaluate((t) => localStorage.setItem('switchyard-theme', t), theme);
      await open();
      found.push(...(await axeFindings(page)).map((f) => `${name} ${size.width}px ${theme}: ${f}`));
      if (await page.evaluate(() => document.documentElement.scrollWidth > window.innerWidth)) found.push(`${name} ${size.width}px ${theme}: scrolls sideways`);
    }
  }
  await page.evaluate(() => localStorage.removeItem('switchyard-theme'));
  await page.setViewportSize({ width: 1280, height: 900 });
  expect(found).toEqual([]);
}

describe('a change made in Git', { timeout: 120_000 }, () => {
  it('is offered to an editor, adopted after the dialog, and named in the history', async () => {
    await logIn(page, server.url, { name: 'ed', password: 'ed-password' }, '/page/data-processing');
    const sha = commitElsewhere('/mnt/theirs', 'Point the inputs at the new disk');
    await openWith('offered');
    const offer = page.getByRole('region', { name: 'Changed in Git' });
    expect(await offer.innerText()).toContain(`${FILE} was changed by Someone Else in commit ${sha.slice(0, 12)}`);
    expect(await offer.locator('[data-change="inputs_directory"]').innerText()).toContain('/mnt/ours → /mnt/theirs');
    await passesEverywhere('offered', () => openWith('offered'));

    await offer.getByRole('button', { name: 'Adopt' }).click();
    const dialog = page.getByRole('dialog', { name: 'Adopt the values from Git?' });
    await dialog.waitFor();
    await passesEverywhere('offered, dialog open', async () => {
      await openWith('offered');
      await page.getByRole('region', { name: 'Changed in Git' }).getByRole('button', { name: 'Adopt' }).click();
      await dialog.waitFor();
    });
    await dialog.getByRole('button', { name: 'Adopt' }).click();
    await page.waitForURL(`${server.url}/page/data-processing/history`);
    expect(await page.locator('[data-testid^="origin-"]').first().innerText()).toBe(`from Git commit ${sha.slice(0, 12)}`);
    await page.goto(`${server.url}/page/data-processing`);
    expect(await page.getByLabel(/Inputs Directory/).inputValue()).toBe('/mnt/theirs');
    expect(await page.locator('[data-testid="git-change"]').count()).toBe(0);
  });

  it('that config.yaml refuses is shown to an admin with the reason, and nothing is applied', async () => {
    await browser.context.clearCookies();
    await logIn(page, server.url, { name: 'root', password: 'root-password' }, '/page/data-processing');
    commitElsewhere('{nested: map}', 'Try a map');
    await openWith('refused');
    const refused = page.getByRole('region', { name: 'A change made in Git was not taken' });
    expect(await refused.getByTestId('git-change-reason').innerText()).toMatch(/^config\.yaml does not accept its values: .*inputs_directory/);
    expect(await page.getByLabel(/Inputs Directory/).inputValue()).toBe('/mnt/theirs');
    await passesEverywhere('refused', () => openWith('refused'));
    expect(errors).toEqual([]);
  });
});
