/**
 * A static snapshot opened from disk in real Chromium: values saved in an
 * app on the example config (which stays open meanwhile), a run that ended
 * with an HTML report, `npm run snapshot` as its own process, then the
 * index, a page, its history and the report followed by links from
 * file://, with no script; axe finds nothing on the page in light and dark
 * on a 390 px phone, and nothing scrolls sideways.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { saveValues } from '../../src/server/history.ts';
import { finishExternalRun } from '../../src/server/runs/external.ts';
import { startExternalRun } from '../../src/server/runs/service.ts';
import { axeFindings, launchBrowser, snapshot, watchedPage } from '../helpers/browser.ts';
import { localApp, type LocalApp } from '../helpers/in-process.ts';
import { ROOT } from '../helpers/server.ts';

const SECRET = 'tok-e2e-Secr3t-71b0';
let local: LocalApp;
let out: string;
let browser: Awaited<ReturnType<typeof launchBrowser>>;
const errors: string[] = [];

beforeAll(async () => {
  local = await localApp();
  out = mkdtempSync(join(tmpdir(), 'switchyard-snapshot-e2e-'));
  const editor = (await local.as('editor')).user!;
  const { revision } = await local.app.config.current();
  const types = (await local.app.config.page('field-types'))!;
  await saveValues(local.app.db, { page: types, values: { ticket: 'OPS-7', api_token: SECRET }, configRevision: revision, user: editor });
  await saveValues(local.app.db, { page: types, values: { ticket: 'OPS-42', regions: ['eu', 'us'] }, configRevision: revision, user: editor, reason: 'change CAB-9' });
  const run = await startExternalRun(local.app, 'data-processing', 'start_processing', await local.as('operator'), 60_000);
  const report = '<!doctype html><html><head><title>Processing report</title></head><body><h1>Processed 12 files</h1><script>document.body.textContent = "script ran"</script></body></html>';
  await finishExternalRun(local.app.db, local.app.runs, run.id, { state: 'succeeded', exitCode: 0, error: null, report: { type: 'html', body: report } });

  // The command as an operator types it, in its own process, while the app still has the database open.
  const env = { ...process.env, SWITCHYARD_CONFIG: join(local.dir, 'config.yaml'), SWITCHYARD_DATA_DIR: join(local.dir, 'data') };
  const { stdout } = await promisify(execFile)(process.execPath, ['src/cli/snapshot.ts', join(out, 'site')], { cwd: ROOT, env });
  expect(stdout).toMatch(/^Wrote a snapshot of 4 pages \(\d+ files\) to .*site in [\d.]+ s\.\n$/);
  browser = await launchBrowser();
}, 60_000);

afterAll(async () => {
  await browser?.close();
  local?.close();
  rmSync(out, { recursive: true, force: true });
});

const indexUrl = () => pathToFileURL(join(out, 'site', 'index.html')).href;

describe('a snapshot opened from disk', { timeout: 120_000 }, () => {
  let page: Page;
  beforeAll(async () => {
    page = await watchedPage(browser.context, errors);
  });

  it('leads from the index to a page with its values, its history with the diff, and its YAML', async () => {
    await page.goto(indexUrl());
    expect(await page.locator('h1').innerText()).toBe('My Awesome Project');
    await page.getByRole('link', { name: 'Examples of every field type' }).click();
    expect(page.url()).toMatch(/^file:\/\/.*\/site\/field-types\/index\.html$/);
    expect(await page.locator('[data-parameter="ticket"]').innerText()).toBe('OPS-42');
    expect(await page.locator('[data-parameter="regions"] li').allInnerTexts()).toEqual(['eu', 'us']);
    expect((await page.locator('[data-parameter="api_token"]').innerText()).split('\n')[0]).toBe('set');
    // The stylesheet beside the index applies (the page's policy lets it, from a file).
    expect(await page.evaluate(() => getComputedStyle(document.querySelector('dl.values')!).display)).toBe('grid');

    await page.getByRole('link', { name: 'History', exact: true }).click();
    const latest = page.locator('[data-version="2"]');
    expect(await latest.locator('[data-change="ticket"] .value-old').innerText()).toBe('OPS-7');
    expect(await latest.locator('[data-change="ticket"] .value-new').innerText()).toBe('OPS-42');
    expect(await latest.innerText()).toContain('Reason: change CAB-9');
    expect(await page.locator('[data-version="1"] [data-change="api_token"]').innerText()).toContain('secret set');
    expect(await page.content()).not.toContain(SECRET);

    // The export is a file beside the page: the browser downloads it, as it does the app's.
    await page.goBack();
    const [download] = await Promise.all([page.waitForEvent('download'), page.getByRole('link', { name: 'Values as YAML (field-types.yaml)' }).click()]);
    expect(download.suggestedFilename()).toBe('field-types.yaml');
    const yaml = readFileSync(await download.path(), 'utf8');
    expect(yaml).toContain('ticket: OPS-42');
    expect(yaml).not.toContain('api_token');
  });

  it("shows a button's latest run and its report in a frame where the report's script does not run", async () => {
    await page.goto(indexUrl());
    await page.getByRole('link', { name: 'Data Processing Pipeline' }).click();
    const button = page.locator('[data-button="start_processing"]');
    expect(await button.locator('[data-state]').innerText()).toBe('succeeded');
    expect(await button.innerText()).toMatch(/Exit code: 0/);
    const frame = page.frameLocator('iframe.report');
    await expect.poll(() => frame.locator('h1').innerText(), { timeout: 10_000 }).toBe('Processed 12 files');
    expect(await frame.locator('body').innerText()).not.toContain('script ran');
    // Chromium says why; nothing else went wrong on the way (a blocked stylesheet or frame would show here).
    expect(errors.filter((e) => !/^Blocked script execution in '.*start_processing\.report\.html' because the document's frame is sandboxed/.test(e))).toEqual([]);
    expect(errors.length).toBeGreaterThan(0);
  });

  it('passes axe in light and dark on a 390 px phone, without sideways scrolling', async () => {
    const found: string[] = [];
    await page.setViewportSize({ width: 390, height: 844 });
    for (const colorScheme of ['light', 'dark'] as const) {
      await page.emulateMedia({ colorScheme });
      for (const file of ['index.html', 'field-types/index.html', 'field-types/history.html', 'data-processing/index.html']) {
        await page.goto(pathToFileURL(join(out, 'site', file)).href);
        found.push(...(await axeFindings(page, { withoutFrames: true })).map((f) => `${colorScheme} ${file}: ${f}`));
        if (await page.evaluate(() => document.documentElement.scrollWidth > window.innerWidth)) found.push(`${colorScheme} ${file}: scrolls sideways`);
        await snapshot(page, `snapshot-${file.replace(/\W/g, '-')}-${colorScheme}`);
      }
    }
    expect(found).toEqual([]);
    // The background follows the system setting: the last pages were dark.
    expect(await page.evaluate(() => getComputedStyle(document.body).backgroundColor)).toBe('rgb(15, 23, 42)');
  });
});
