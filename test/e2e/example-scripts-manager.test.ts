/**
 * examples/scripts-manager in Chromium, started as its README starts it (in a
 * temporary copy with its own data folder): an admin changes a value and counts
 * words with the Python script (the CSV is on disk), a path out of the example's
 * folder fails the run with the reason, the runs list finds the run by a word
 * of its log, the Node script lists the files with the chosen checksum, the bash
 * script's lines arrive while it runs, and the backup button writes a snapshot
 * that the restore command puts in place and a tarball of the scripts' files.
 * An operator sees neither the developers' pages nor their inventory button,
 * nor the admins' page, and reads the docs (the page's and a button's) in French. The page passes axe, light and dark.
 */
import { createHash } from 'node:crypto';
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createClient } from '@libsql/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { axeFindings, launchBrowser, logIn, watchedPage } from '../helpers/browser.ts';
import { startExample, type ExampleServer } from '../helpers/example.ts';
import { ROOT } from '../helpers/server.ts';

const ADMIN = { name: 'ada', role: 'admin' as const, password: 'ada-password-1' };
const OPERATOR = { name: 'otto', role: 'operator' as const, password: 'otto-password-1' };

let server: ExampleServer;
let browser: Awaited<ReturnType<typeof launchBrowser>>;
let page: Page;
const errors: string[] = [];
const tmp: string[] = [];

beforeAll(async () => {
  server = await startExample('scripts-manager', { users: [ADMIN, OPERATOR] });
  browser = await launchBrowser();
  page = await watchedPage(browser.context, errors);
  await logIn(page, server.url, ADMIN, '/page/text-reports');
}, 60_000);
afterAll(async () => {
  await browser?.close();
  await server?.stop();
  for (const d of tmp) rmSync(d, { recursive: true, force: true });
});

/** What the script groups write: in the data folder's files/, the scripts' own. */
const groups = () => join(server.dataDir, 'files/script-groups');
const state = () => page.locator('.run-state').first().textContent();
const logText = () => page.locator('[data-role="log"]').first().innerText();

/** Saves one field of the page open now. */
async function save(label: string, value: string, select = false) {
  const field = page.getByLabel(label); // not exact: a required field's label ends in " *"
  await (select ? field.selectOption(value) : field.fill(value));
  await page.getByRole('button', { name: 'Save configuration' }).click();
  await page.getByTestId('notice-saved').waitFor();
}

/** Presses a button of the page open now and waits for its run to end in `expected`. */
async function run(button: string, expected: string) {
  await page.getByTestId(`run-${button}`).click();
  await page.waitForURL(/\/runs\/\d+$/);
  await expect.poll(state, { timeout: 20_000 }).toBe(expected);
}

describe('the scripts-manager example', { timeout: 60_000 }, () => {
  it('counts words with the saved values and writes the CSV (Python)', async () => {
    await save('Words to list', '3');
    await run('word_stats', 'succeeded');
    expect(await logText()).toContain('1. that: 13');
    const csv = readFileSync(join(groups(), 'text-reports/word-stats.csv'), 'utf8');
    expect(csv.trim().split(/\r?\n/)).toEqual(['rank,word,count', '1,that,13', '2,here,8', '3,nation,5']);
  });

  it('fails a run whose file lies outside the example, saying why, and keeps the CSV', async () => {
    await page.goto(`${server.url}/page/text-reports`);
    await save('Text file', '../config.yaml');
    await run('word_stats', 'failed');
    await expect.poll(logText).toContain("../config.yaml: give a path inside the example's folder, without '..'");
    expect(readFileSync(join(groups(), 'text-reports/word-stats.csv'), 'utf8')).toContain('3,nation,5');
  });

  it('finds the run by a word of its log in the runs list', async () => {
    await page.goto(`${server.url}/runs?q=nation`);
    expect(await page.getByTestId('runs').locator('tbody tr').count()).toBe(1);
    await page.goto(`${server.url}/runs?q=zeppelin`);
    await page.getByTestId('runs-empty').waitFor();
  });

  it('lists the files with the chosen checksum (Node)', async () => {
    await page.goto(`${server.url}/page/file-inventory`);
    await save('Checksum', 'md5', true);
    await run('inventory', 'succeeded');
    const inventory = JSON.parse(readFileSync(join(groups(), 'file-inventory/inventory.json'), 'utf8'));
    const csv = readFileSync(join(groups(), 'text-reports/word-stats.csv'));
    expect(inventory.algorithm).toBe('md5');
    expect(inventory.files).toEqual([expect.objectContaining({ path: 'text-reports/word-stats.csv', md5: createHash('md5').update(csv).digest('hex') })]);
  });

  it("shows the bash script's lines while it runs", async () => {
    await page.goto(`${server.url}/page/system-check`);
    await save('Watch the disk for (seconds)', '2');
    await page.getByTestId('run-check').click();
    await page.waitForURL(/\/runs\/\d+$/);
    await page.locator('[data-role="log"] li', { hasText: 'free in' }).first().waitFor({ timeout: 15_000 });
    expect(await state()).toBe('running');
    await expect.poll(state, { timeout: 15_000 }).toBe('succeeded');
    expect(await logText()).toMatch(/found +python3/);
  });

  it("backs up the site's database and files, and the snapshot restores", async () => {
    await page.goto(`${server.url}/page/maintenance`);
    await run('backup', 'succeeded');
    const dir = join(server.dataDir, 'backups');
    const names = readdirSync(dir).sort();
    expect(names).toHaveLength(3);
    const [db, manifest, files] = names;
    expect(db).toMatch(/^site-\d{8}T\d{6}Z\.db\.gz$/);
    expect(manifest).toBe(`${db}.manifest.json`);
    expect(files).toBe(db!.replace('.db.gz', '.files.tar.gz'));
    const listed = execFileSync('tar', ['-tzf', join(dir, files!)], { encoding: 'utf8' });
    expect(listed).toContain('files/script-groups/text-reports/word-stats.csv');

    // The restore command puts the snapshot in place on a host without a database.
    const fresh = mkdtempSync(join(tmpdir(), 'scripts-manager-restore-'));
    tmp.push(fresh);
    const restore = spawnSync(process.execPath, [join(ROOT, 'src/cli/restore.ts'), join(dir, db!)], {
      env: { ...process.env, SWITCHYARD_DATA_DIR: fresh, SWITCHYARD_CONFIG: server.configPath },
      encoding: 'utf8',
    });
    expect(restore.status, restore.stdout + restore.stderr).toBe(0);
    const restored = createClient({ url: `file:${join(fresh, 'switchyard.db')}` });
    const runs = await restored.execute("SELECT count(*) AS n FROM runs WHERE button_name = 'word_stats'");
    restored.close();
    expect(Number(runs.rows[0]!.n)).toBe(2);
  });

  it('passes axe on a script group page, light and dark', async () => {
    for (const theme of ['light', 'dark']) {
      await page.evaluate((t) => localStorage.setItem('switchyard-theme', t), theme);
      await page.goto(`${server.url}/page/text-reports`);
      expect(await page.evaluate(() => document.documentElement.classList.contains('dark'))).toBe(theme === 'dark');
      expect((await axeFindings(page, { withoutFrames: true })).map((f) => `${theme} ${f}`)).toEqual([]);
    }
  });

  it('raised no console errors or CSP violations', () => {
    expect(errors).toEqual([]);
  });

  it("shows an operator neither the developers' pages and button nor the admins' page, and the docs in the browser's language", async () => {
    await browser.context.clearCookies();
    await logIn(page, server.url, OPERATOR, '/page/text-reports');
    // Nobody chose a language: the browser's is used (after the login form, which the helper fills in English).
    await page.setExtraHTTPHeaders({ 'Accept-Language': 'fr-FR,fr;q=0.9' });
    await page.reload();
    expect(await page.getByTestId('docs').innerText()).toContain('Compter les mots');
    expect(await page.locator('a[href="/page/file-inventory"]').count()).toBeGreaterThan(0);
    // The button's own docs, in French; and the inventory, a developer's script, is not shown to him.
    expect(await page.getByTestId('button-docs-word_stats').textContent()).toContain('Lit Fichier texte');
    await page.goto(`${server.url}/page/file-inventory`);
    expect(await page.getByTestId('run-inventory').count()).toBe(0);
    expect(await page.locator('[data-button="inventory"]').count()).toBe(0);
    expect(await page.locator('a[href="/page/system-check"], a[href="/page/maintenance"]').count()).toBe(0);
    for (const slug of ['system-check', 'maintenance']) {
      const response = await page.goto(`${server.url}/page/${slug}`);
      expect(response!.status(), slug).toBeGreaterThanOrEqual(400);
    }
  });
});
