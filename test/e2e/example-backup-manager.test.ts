/**
 * examples/backup-manager in real Chromium, started as its README says in a copy with its own
 * data folder: an editor changes a job's keep rule, backs up twice, and finds one archive in the
 * scripts' own app_data/files/archives/ that holds the folder (its leave-out pattern applied) and
 * its size in the run's message; then restores it, through the inputs dialog and the confirmation,
 * into a folder below app_data/files/restored/ that matches the source byte for byte, and a second restore onto it is refused and changes nothing. The archives'
 * list shows the archive with its size. The job page and the restore dialog pass axe in light and dark.
 */
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { axeFindings, launchBrowser, logIn, watchedPage } from '../helpers/browser.ts';
import { startExample, type ExampleServer } from '../helpers/example.ts';
import { figureText } from '../../src/core/figures.ts';

const ED = { name: 'ed', role: 'editor' as const, password: 'ed-password-1' };

let server: ExampleServer;
let browser: Awaited<ReturnType<typeof launchBrowser>>;
let page: Page;
const errors: string[] = [];

beforeAll(async () => {
  server = await startExample('backup-manager', { users: [ED] });
  browser = await launchBrowser();
  page = await watchedPage(browser.context, errors);
  await logIn(page, server.url, ED, '/page/documents');
}, 60_000);
afterAll(async () => {
  await browser?.close();
  await server?.stop();
});

/** The scripts' own folder in the data folder (app_data/files/), where Switchyard never writes. */
const ownFiles = (...parts: string[]) => join(server.dataDir, 'files', ...parts);
const archives = () => readdirSync(ownFiles('archives')).sort();

/** Every file below `dir`, as relative path → content. */
function tree(dir: string): Record<string, string> {
  const files: Record<string, string> = {};
  for (const e of readdirSync(dir, { recursive: true, withFileTypes: true })) {
    if (e.isFile()) files[relative(dir, join(e.parentPath, e.name))] = readFileSync(join(e.parentPath, e.name), 'utf8');
  }
  return files;
}

/** Waits on the run page for the run to end; its state and message. */
async function ended(): Promise<{ state: string; message: string }> {
  await page.waitForURL(/\/runs\/\d+$/);
  await expect.poll(() => page.locator('.run-state').first().textContent(), { timeout: 20_000 }).toMatch(/succeeded|failed/);
  return { state: (await page.locator('.run-state').first().textContent())!, message: await page.locator('[data-role="message"]').first().innerText() };
}

async function backUp() {
  await page.goto(`${server.url}/page/documents`);
  await page.getByTestId('run-backup').click();
  return ended();
}

async function restore(archive: string, target: string) {
  await page.goto(`${server.url}/page/restore`);
  await page.getByTestId('run-restore').click();
  const dialog = page.getByRole('dialog', { name: 'Restore an archive' });
  // The choices come from the newest List archives run.
  await dialog.getByLabel('Archive').selectOption(archive);
  await dialog.getByLabel('Target folder').fill(target);
  await dialog.getByTestId('run-go').click();
  // The button's confirm: asked in the app's own dialog before anything starts.
  const confirm = page.getByRole('dialog', { name: 'Restore an archive?' });
  await confirm.waitFor();
  // It names the archive and the folder as typed.
  expect(await page.locator('#confirm-text').textContent()).toBe(`Unpack ${archive} into ${target}? The folder must not exist yet or be empty; nothing is overwritten.`);
  await confirm.getByRole('button', { name: 'Restore an archive', exact: true }).click();
  return ended();
}

async function axe(name: string, open: () => Promise<unknown>, found: string[]) {
  for (const theme of ['light', 'dark']) {
    await page.evaluate((t) => localStorage.setItem('switchyard-theme', t), theme);
    await open();
    // The run's report is the script's own HTML in a sandboxed frame, where axe cannot run.
    for (const f of await axeFindings(page, { withoutFrames: true })) found.push(`${name} (${theme}) ${f}`);
  }
}

describe('examples/backup-manager', { timeout: 90_000 }, () => {
  let archive = '';

  it('keeps the newest archive only once the keep rule says 1, with its size in the run', async () => {
    await page.getByLabel('Keep the newest').fill('1');
    await page.getByRole('button', { name: 'Save configuration' }).click();
    await page.getByTestId('notice-saved').waitFor();

    const first = await backUp();
    expect(first.state).toBe('succeeded');
    // A second apart, so the second archive has a name of its own.
    await new Promise((r) => setTimeout(r, 1100));
    const second = await backUp();
    expect(second).toMatchObject({ state: 'succeeded', message: expect.stringMatching(/^documents-\d{8}T\d{6}Z\.tar\.gz: [\d.]+ (B|KiB) from 8 files .*; 1 kept, 1 removed$/) });
    archive = second.message.slice(0, second.message.indexOf(':'));
    expect(archives()).toEqual([archive, `${archive}.sha256`]);

    const listed = execFileSync('tar', ['-tzf', ownFiles('archives', archive)], { encoding: 'utf8' });
    expect(listed).toContain('./invoices/2026-03-001.txt');
    expect(listed, 'the job leaves out *.tmp').not.toContain('draft.tmp');
    const sha = execFileSync('sha256sum', [archive], { cwd: ownFiles('archives'), encoding: 'utf8' });
    expect(readFileSync(ownFiles('archives', `${archive}.sha256`), 'utf8')).toBe(sha);
  });

  it("charts each backup's figures on the dashboard, and shows them on its run page", async () => {
    // The run page of the second backup, where backUp() left the browser: its figures appeared when it ended, without a reload.
    const figures = page.getByTestId('run-figures');
    await figures.waitFor();
    const size = statSync(ownFiles('archives', archive)).size;
    expect(await figures.innerText()).toContain(`Archive size\n${figureText(size, 'bytes', 'en')}`);
    expect(await figures.innerText()).toContain('Files\n8');

    await page.goto(`${server.url}/dashboard`);
    const job = page.locator('[data-button="documents/backup"]');
    const chart = job.getByTestId('figure-archive_bytes');
    await chart.locator('canvas').waitFor();
    expect(await chart.getByRole('img').getAttribute('aria-label')).toMatch(/^Archive size of Job: Documents · Back up now\. Last 2 runs: latest /);
    // The table behind it: both runs, newest first, with the archive's size on disk.
    const rows = await chart.getByTestId('figure-table').locator('tbody tr').allTextContents();
    expect(rows).toHaveLength(2);
    expect(rows[0]).toContain(figureText(size, 'bytes', 'en'));
    expect(await job.getByTestId('figure-files').getByTestId('figure-summary').innerText()).toMatch(/^Last 2 runs: latest 8, lowest 8, highest 8\./);
  });

  it('lists the archives kept with their sizes', async () => {
    await page.goto(`${server.url}/page/archives`);
    await page.getByTestId('run-list').click();
    const run = await ended();
    expect(run).toEqual({ state: 'succeeded', message: expect.stringMatching(/^1 archive of 1 job, [\d.]+ (B|KiB) in all$/) });
    // The report, the script's own HTML in the run page's sandboxed frame: a table row per archive.
    await expect.poll(() => page.frameLocator('iframe').locator('table').first().innerText()).toMatch(new RegExp(`${archive.replace(/\./g, '\\.')}\\s+[\\d.]+ (B|KiB)`));
  });

  it('restores the archive, once confirmed, into a folder equal to the source', async () => {
    const run = await restore(archive, 'check/today');
    expect(run).toEqual({ state: 'succeeded', message: expect.stringContaining(`Restored ${archive} into check/today: 8 files`) });
    const source = tree(join(server.root, 'sample-data/documents'));
    delete source['letters/draft.tmp'];
    expect(tree(ownFiles('restored/check/today'))).toEqual(source);
  });

  it('refuses to restore onto a folder that is not empty, and changes nothing', async () => {
    const before = tree(ownFiles('restored'));
    const run = await restore(archive, 'check/today');
    expect(run.state).toBe('failed');
    expect(run.message).toContain('exists and is not an empty folder; nothing was restored');
    expect(tree(ownFiles('restored'))).toEqual(before);
    expect(readdirSync(ownFiles('restored/check')), 'no temporary folder left').toEqual(['today']);
  });

  it('passes axe in light and dark: the job page and the restore dialog', async () => {
    const found: string[] = [];
    await axe('job page', () => page.goto(`${server.url}/page/documents`), found);
    await axe('restore dialog', async () => {
      await page.goto(`${server.url}/page/restore`);
      await page.getByTestId('run-restore').click();
      await page.getByRole('dialog', { name: 'Restore an archive' }).waitFor();
    }, found);
    expect(found).toEqual([]);
  });

  it('showed no errors in the browser console', () => {
    expect(errors).toEqual([]);
  });
});
