/**
 * The dashboard and the runs list in real Chromium follow runs without a
 * reload: a run started by someone else (here, through the API from outside
 * the page) shows up, and its state follows, from the page's own polling.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { Client, postJson } from '../helpers/client.ts';
import { OLGA, operatorBrowser, type OperatorBrowser } from '../helpers/operator-browser.ts';
import { ended, waitForRun } from '../helpers/runs.ts';
import { ROOT } from '../helpers/server.ts';

let session: OperatorBrowser;
let page: Page;
let other: Client;

beforeAll(async () => {
  session = await operatorBrowser({ runner: 'browser', runnerEnv: { SWITCHYARD_RUNNER_ROOT: ROOT, SWITCHYARD_STEP_SECONDS: '1.5' }, next: '/dashboard' });
  page = session.page;
  other = new Client(session.server.url);
  await other.login(OLGA.name, OLGA.password);
});
afterAll(() => session?.stop());

async function startElsewhere(): Promise<number> {
  return ((await (await postJson(other, '/page/data-processing/run/start_processing')).json()) as { id: number }).id;
}

describe('live without a reload', () => {
  it('the dashboard shows a run started elsewhere, then its end and its duration chart', async () => {
    await page.goto(`${session.server.url}/dashboard`);
    let loads = 0;
    page.on('load', () => loads++);
    const id = await startElsewhere();
    await page.locator(`[data-testid="active-runs"] [data-run="${id}"]`).waitFor({ timeout: 15_000 });
    await waitForRun(other, id, ended);
    await page.locator('[data-button="data-processing/start_processing"] .duration-chart canvas').waitFor({ timeout: 15_000 });
    await page.locator(`[data-testid="active-runs"] [data-run="${id}"]`).waitFor({ state: 'detached', timeout: 15_000 });
    expect(loads).toBe(0);
    expect(session.consoleErrors).toEqual([]);
  });

  it('the runs list shows a new run at the top', async () => {
    await page.goto(`${session.server.url}/runs`);
    let loads = 0;
    page.on('load', () => loads++);
    const id = await startElsewhere();
    await page.locator(`[data-testid="runs"] tbody tr[data-run="${id}"]`).waitFor({ timeout: 15_000 });
    expect(await page.locator('[data-testid="runs"] tbody tr').first().getAttribute('data-run')).toBe(String(id));
    expect(loads).toBe(0);
    await waitForRun(other, id, ended);
  });
});
