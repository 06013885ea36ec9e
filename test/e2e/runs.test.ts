/**
 * Running a task in real Chromium: press the button, watch the live log and
 * the progress bar reach 100 %, read the report in its sandboxed frame and
 * download the file the run left.
 */
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { snapshot } from '../helpers/browser.ts';
import { operatorBrowser, type OperatorBrowser } from '../helpers/operator-browser.ts';
import { ROOT } from '../helpers/server.ts';

let session: OperatorBrowser;
let page: Page;

beforeAll(async () => {
  // The example scripts from the repository, with short steps.
  session = await operatorBrowser({ runner: 'browser', runnerEnv: { SWITCHYARD_RUNNER_ROOT: ROOT, SWITCHYARD_STEP_SECONDS: '0.4' }, next: '/page/data-processing' });
  page = session.page;
});
afterAll(() => session?.stop());

describe('running a task', () => {
  it('shows live progress and log, then the report', async () => {
    await page.getByTestId('run-start_processing').click();
    await page.waitForURL(/\/runs\/\d+$/);
    const progress = page.getByRole('progressbar', { name: /^Progress of run \d+$/ });
    // Lines arrive while the run is still going.
    await page.locator('[data-role="log"] li', { hasText: '[1/5] ingest' }).waitFor({ timeout: 10_000 });
    expect(await page.locator('.run-state').first().textContent()).toBe('running');
    const seen = new Set<number>();
    const deadline = Date.now() + 15_000;
    while (Date.now() < deadline) {
      seen.add(Number(await progress.getAttribute('value')));
      if (seen.has(100)) break;
      await page.waitForTimeout(50);
    }
    expect(seen.has(100)).toBe(true);
    expect([...seen].some((v) => v > 0 && v < 100)).toBe(true); // it moved through steps, not straight to the end
    await expect.poll(() => page.locator('.run-state').first().textContent()).toBe('succeeded');
    expect(await page.locator('[data-role="message"]').first().textContent()).toBe('Done: 0 file(s) processed');
    await page.getByTestId('rerun').waitFor({ state: 'visible' });
    expect(await page.getByTestId('cancel').isVisible()).toBe(false);

    const report = page.locator('#report');
    await report.waitFor({ state: 'visible' });
    const frame = page.frameLocator('#report iframe');
    await expect.poll(() => frame.getByRole('heading', { level: 1 }).textContent({ timeout: 5000 })).toBe('Processing report');
    expect(await page.locator('#report iframe').getAttribute('sandbox')).toBe('');
    expect(await page.locator('#report iframe').getAttribute('title')).toMatch(/^Report of run \d+$/);
    // The file the script left appears without a reload, and downloads.
    const files = page.getByTestId('run-files');
    await files.waitFor({ state: 'visible' });
    const [download] = await Promise.all([page.waitForEvent('download'), files.getByRole('link', { name: 'summary.csv' }).click()]);
    expect(download.suggestedFilename()).toBe('summary.csv');
    expect(readFileSync((await download.path())!, 'utf8')).toContain('5,publish,0,ok');
    await snapshot(page, 'run');
  });

  it('shows the latest run on the page with its state', async () => {
    await page.goto(`${session.server.url}/page/data-processing`);
    const task = page.locator('[data-button="start_processing"]');
    expect(await task.locator('.run-state').textContent()).toBe('succeeded');
    expect(await task.locator('progress').getAttribute('value')).toBe('100');
    await snapshot(page, 'tasks');
  });

  it('cancels a run from its page', async () => {
    await page.getByTestId('run-start_processing').click();
    await page.waitForURL(/\/runs\/\d+$/);
    await page.locator('[data-role="log"] li', { hasText: '[1/5]' }).waitFor();
    await page.getByTestId('cancel').click();
    await page.getByRole('dialog', { name: /^Cancel run \d+\?$/ }).getByRole('button', { name: 'Cancel run' }).click();
    await page.waitForURL(/\/runs\/\d+$/);
    await expect.poll(() => page.locator('.run-state').first().textContent(), { timeout: 10_000 }).toBe('cancelled');
  });

  it('raised no console errors or CSP violations', () => {
    expect(session.consoleErrors).toEqual([]);
  });
});
