/**
 * A run page left open while its run goes on, in real Chromium: the line
 * about the run counts the time while it runs and, when it ends, says how
 * long it took, when it ended and its exit code, without a reload.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { operatorBrowser, type OperatorBrowser } from '../helpers/operator-browser.ts';

const CONFIG = `toplevel_title: "Jobs"
pages:
  - slug: "jobs"
    title: "Jobs"
    buttons:
      - name: "slow"
        label: "Slow task"
        script_path: "scripts/slow.sh"
        status_file: "app_data/status/slow.json"
        report_path: "app_data/reports/slow.txt"
`;

let session: OperatorBrowser;
let page: Page;

beforeAll(async () => {
  session = await operatorBrowser({
    server: {
      config: CONFIG,
      // Long enough to watch the counter tick, and a failure so the exit code says something.
      files: { 'scripts/slow.sh': '#!/bin/sh\necho started\nsleep 3\necho giving up\nexit 3\n' },
    },
    runner: 'slow-runner',
    next: '/page/jobs',
  });
  page = session.page;
});
afterAll(() => session?.stop());

describe('the run page while its run goes on', () => {
  it('counts the running time, then shows the duration, end and exit code without a reload', async () => {
    await page.getByTestId('run-slow').click();
    await page.waitForURL(/\/runs\/\d+$/);
    const meta = page.locator('header p', { hasText: 'Started by' });
    const running = /running for (\d+) s/;
    await expect.poll(() => meta.innerText(), { timeout: 10_000 }).toMatch(running);
    const first = Number(running.exec(await meta.innerText())![1]);
    // It ticks: a later reading says more, while the run still goes on.
    await expect.poll(async () => Number(running.exec(await meta.innerText())?.[1] ?? -1), { timeout: 2500 }).toBeGreaterThan(first);
    expect(await meta.innerText()).not.toContain('exit code');

    // A reload would lose this.
    await page.evaluate(() => Object.assign(window, { openedOnce: true }));
    await expect.poll(() => page.locator('.run-state').first().textContent(), { timeout: 15_000 }).toBe('failed');
    const ended = /took \d+(\.\d)? s · ended at \d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC · exit code 3$/;
    await expect.poll(() => meta.innerText(), { timeout: 5000 }).toMatch(ended);
    expect(await meta.innerText()).toContain('on runner slow-runner');
    expect(await meta.innerText()).not.toMatch(running);
    expect(await page.evaluate(() => (window as unknown as { openedOnce?: boolean }).openedOnce)).toBe(true);

    // It stopped counting, and says what the server says on a fresh load.
    const live = await meta.innerText();
    await page.waitForTimeout(1200);
    expect(await meta.innerText()).toBe(live);
    await page.reload();
    expect(await meta.innerText()).toBe(live);
  });

  it('raised no console errors or CSP violations', () => {
    expect(session.consoleErrors).toEqual([]);
  });
});
