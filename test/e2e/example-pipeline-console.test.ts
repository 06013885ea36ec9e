/**
 * examples/pipeline-console in real Chromium: an editor narrows the export (smallest amount, no US),
 * runs the pipeline and finds the CSV and JSON written in the data folder with only the rows asked for,
 * the report's step timings, the export downloadable from the run page and, with a token, at the
 * button's stable latest address; the same pipeline run
 * as cron would run it reports itself through the API with a token and is listed beside the others;
 * the page passes axe, light and dark.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { axeFindings, launchBrowser, logIn } from '../helpers/browser.ts';
import { apiToken } from '../helpers/client.ts';
import { startExample, type ExampleServer } from '../helpers/example.ts';
import { ROOT } from '../helpers/server.ts';

const ED = { name: 'erin', role: 'editor' as const, password: 'erin-password' };

let server: ExampleServer;
let browser: Awaited<ReturnType<typeof launchBrowser>>;
let page: Page;
const scratch = mkdtempSync(join(tmpdir(), 'switchyard-pipeline-cron-'));

beforeAll(async () => {
  server = await startExample('pipeline-console', { users: [ED] });
  browser = await launchBrowser();
  page = await browser.context.newPage();
  await logIn(page, server.url, ED, '/page/pipeline');
});
afterAll(async () => {
  await browser?.close();
  await server?.stop();
  rmSync(scratch, { recursive: true, force: true });
});

/** The rows of a CSV the pipeline wrote (cleaned, no field holds a comma or a quote, so a split is enough). */
function csvRows(text: string): Record<string, string>[] {
  const [head, ...lines] = text.trimEnd().split('\n');
  const names = head!.split(',');
  return lines.map((l) => Object.fromEntries(l.split(',').map((v, i) => [names[i], v])));
}

/** What a filtered export must hold: amounts from 250 up, no US, each order once, and not empty. */
function expectFiltered(rows: Record<string, string>[]) {
  expect(rows.length).toBeGreaterThan(20);
  for (const r of rows) {
    expect(Number(r.amount)).toBeGreaterThanOrEqual(250);
    expect(r.country).toMatch(/^(DE|ES|FR|GB|IT)$/);
  }
  expect(new Set(rows.map((r) => r.order_id)).size).toBe(rows.length);
}

async function runState(): Promise<string | null> {
  return page.locator('.run-state').first().textContent();
}

async function axe(): Promise<string[]> {
  const found: string[] = [];
  for (const theme of ['light', 'dark']) {
    await page.evaluate((t) => localStorage.setItem('switchyard-theme', t), theme);
    await page.reload();
    expect(await page.evaluate(() => document.documentElement.classList.contains('dark'))).toBe(theme === 'dark');
    // The report's frame is the script's own HTML in a sandbox without scripts, where axe cannot run.
    found.push(...(await axeFindings(page, { withoutFrames: true })).map((f) => `${theme} ${f}`));
  }
  return found;
}

describe('the pipeline console example', { timeout: 60_000 }, () => {
  it('exports only the orders asked for, with step timings in the log and the report', async () => {
    // The page's help (docs/pipeline.md) and the nightly schedule are shown.
    const text = (await page.locator('body').textContent())!.replace(/\s+/g, ' ');
    expect(text).toContain('Run the pipeline reads the bundled data/orders.csv');
    expect(text).toContain('Schedule: At 02:00 (UTC time)');
    await page.getByLabel('Smallest amount kept').fill('250');
    await page.getByRole('checkbox', { name: 'US' }).uncheck();
    await page.getByLabel('Pause after each step (seconds)').fill('0');
    await page.getByRole('button', { name: 'Save configuration' }).click();
    await expect.poll(() => page.getByRole('status').allInnerTexts()).toEqual(expect.arrayContaining([expect.stringMatching(/Saved/)]));

    await page.getByTestId('run-run_pipeline').click();
    await page.waitForURL(/\/runs\/\d+$/);
    const id = Number(/\/runs\/(\d+)$/.exec(page.url())![1]);
    await expect.poll(runState, { timeout: 30_000 }).toBe('succeeded');

    const exports = join(server.dataDir, 'files/exports');
    const latest = readFileSync(join(exports, 'latest.csv'), 'utf8');
    expect(readFileSync(join(exports, `orders-run-${id}.csv`), 'utf8')).toBe(latest);
    const rows = csvRows(latest);
    expectFiltered(rows);
    const json = JSON.parse(readFileSync(join(exports, 'latest.json'), 'utf8')) as { order_id: string; amount: number }[];
    expect(json.map((r) => r.order_id)).toEqual(rows.map((r) => r.order_id));
    expect(JSON.parse(readFileSync(join(exports, 'latest.meta.json'), 'utf8'))).toMatchObject({ label: `run-${id}`, rows: rows.length });
    // The scratch folder went with the run.
    expect(readdirSync(exports).filter((n) => n.startsWith('.work-'))).toEqual([]);

    const log = await (await page.request.get(`${server.url}/runs/${id}/log`)).text();
    expect(log).toMatch(/clean: 249 rows in, \d+ out, \d+\.\d{3} s/);
    expect(log).toMatch(new RegExp(`export: ${rows.length} rows in, ${rows.length} out`));
    const report = page.frameLocator('#report iframe');
    await expect.poll(() => report.locator('caption').allInnerTexts()).toEqual(expect.arrayContaining(['Steps', 'Rows dropped', 'Files written']));
    expect(await report.locator('table').first().innerText()).toMatch(/ingest[\s\S]*clean[\s\S]*export/);
  });

  it('offers the export as files to download: on the run page, and the newest good one at a stable address', async () => {
    const latest = readFileSync(join(server.dataDir, 'files/exports/latest.csv'), 'utf8');
    const files = page.getByTestId('run-files');
    const [download] = await Promise.all([page.waitForEvent('download'), files.getByRole('link', { name: 'orders.csv' }).click()]);
    expect(download.suggestedFilename()).toBe('orders.csv');
    expect(readFileSync((await download.path())!, 'utf8')).toBe(latest);
    expect(await files.getByRole('link', { name: 'orders.json' }).count()).toBe(1);
    // For a script on another host: a personal token, at an address that does not change.
    const token = await apiToken(server.url, ED.name, ED.password);
    const res = await fetch(`${server.url}/page/pipeline/latest/run_pipeline/orders.csv`, { headers: { authorization: `Bearer ${token}` } });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-disposition')).toBe('attachment; filename="orders.csv"');
    expect(await res.text()).toBe(latest);
  });

  it('lists a run that cron reported through the API, made with the saved values', async () => {
    const token = await apiToken(server.url, ED.name, ED.password);
    const out = join(scratch, 'exports');
    const result = await new Promise<{ code: number | null; output: string }>((resolve) => {
      const c = spawn('bash', ['scripts/cron/pipeline.sh', out], { cwd: server.root, env: { ...process.env, SWITCHYARD_URL: server.url, SWITCHYARD_TOKEN: token, SWITCHYARD_LIB: join(ROOT, 'scripts/lib') } });
      let output = '';
      c.stdout.on('data', (d) => (output += d));
      c.stderr.on('data', (d) => (output += d));
      c.on('close', (code) => resolve({ code, output }));
    });
    expect(result.code, result.output).toBe(0);
    const id = Number(/reporting as run (\d+)/.exec(result.output)![1]);
    expectFiltered(csvRows(readFileSync(join(out, 'latest.csv'), 'utf8')));
    expect(existsSync(join(out, `orders-cron-${id}.csv`))).toBe(true);

    await page.goto(`${server.url}/runs/${id}`);
    expect(await runState()).toBe('succeeded');
    await expect.poll(() => page.getByText('reported from outside').count()).toBeGreaterThan(0);
    const log = await (await page.request.get(`${server.url}/runs/${id}/log`)).text();
    expect(log).toMatch(/ingest: 249 rows in[\s\S]*clean:[\s\S]*export:/);

    await page.goto(`${server.url}/runs?page=pipeline`);
    await expect.poll(() => page.locator(`a[href="/runs/${id}"]`).count()).toBeGreaterThan(0);
  });

  it('passes axe on the page, light and dark', async () => {
    await page.goto(`${server.url}/page/pipeline`);
    expect(await axe()).toEqual([]);
  });
});
