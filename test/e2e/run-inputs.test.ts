/**
 * A button with inputs in real Chromium: pressing it opens the app's own
 * dialog with focus on the first field; Escape and Cancel close it and give
 * focus back; Run starts the run with what was typed; inputs the server
 * refuses come back as a page with the reasons. A confirm naming the inputs
 * asks with the values typed, as text; without script the server asks on a
 * review page. A file input takes a file in the dialog and the script gets
 * its bytes. The dialogs, the refusal, the review, and a run waiting for a
 * labelled runner pass axe in light and dark and fit 390 px.
 */
import { createHash } from 'node:crypto';
import { AxeBuilder } from '@axe-core/playwright';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { operatorBrowser, type OperatorBrowser } from '../helpers/operator-browser.ts';

const CONFIG = `toplevel_title: "Jobs"
pages:
  - slug: "jobs"
    title: "Jobs"
    parameters:
      - {name: target, label: Target, type: text, default: prod}
    buttons:
      - name: "deploy"
        label: "Deploy"
        script_path: "scripts/echo.sh"
        status_file: "app_data/status/deploy.json"
        report_path: "app_data/reports/deploy.txt"
        inputs:
          - {name: ticket, label: Ticket, type: text, required: true, help_text: "The change ticket this deploy belongs to."}
          - {name: count, label: Instances, type: integer, min: 1, max: 5, default: 2}
          - {name: dry, label: Dry run, type: boolean}
          - {name: level, label: Level, type: select, options: [low, high], default: low}
      - name: "restore"
        label: "Restore"
        script_path: "scripts/echo.sh"
        status_file: "app_data/status/restore.json"
        report_path: "app_data/reports/restore.txt"
        docs: "Unpacks **one** archive; see [the runbook](https://example.org/runbook)."
        confirm: "Restore {archive} ({parts}) into {folder}?"
        inputs:
          - {name: archive, label: Archive, type: text, required: true}
          - {name: parts, label: Parts, type: multiselect, options: [db, files, logs]}
          - {name: folder, label: Target folder, type: text, default: check}
      - name: "on_db"
        label: "On the database host"
        script_path: "scripts/echo.sh"
        status_file: "app_data/status/on-db.json"
        report_path: "app_data/reports/on-db.txt"
        runs_on: [host=db-1]
      - name: "print"
        label: "Print"
        script_path: "scripts/print.sh"
        status_file: "app_data/status/print.json"
        report_path: "app_data/reports/print.txt"
        inputs:
          - {name: model, label: 3D model, type: file, accept: [".stl", ".obj"], max_size_mb: 2, required: true}
`;

const PRINT = '#!/bin/sh\necho "model=$(basename "$SWITCHYARD_PARAM_MODEL") sum=$(sha256sum "$SWITCHYARD_PARAM_MODEL" | cut -d" " -f1)"\n';

const WCAG = ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'];

let session: OperatorBrowser;
let page: Page;

beforeAll(async () => {
  session = await operatorBrowser({
    server: { config: CONFIG, files: { 'scripts/echo.sh': '#!/bin/sh\necho "ticket=$SWITCHYARD_PARAM_TICKET count=$SWITCHYARD_PARAM_COUNT dry=$SWITCHYARD_PARAM_DRY level=$SWITCHYARD_PARAM_LEVEL"\n', 'scripts/print.sh': PRINT } },
    runner: 'plain-runner',
    next: '/page/jobs',
  });
  page = session.page;
});
afterAll(() => session?.stop());

/** axe and the 390 px fit of the page as `open` leaves it, light and dark, desktop and phone. */
async function check(name: string, open: () => Promise<unknown>) {
  const found: string[] = [];
  for (const width of [1280, 390]) {
    await page.setViewportSize({ width, height: 844 });
    for (const theme of ['light', 'dark']) {
      await page.evaluate((t) => localStorage.setItem('switchyard-theme', t), theme);
      await open();
      expect(await page.evaluate(() => document.documentElement.classList.contains('dark'))).toBe(theme === 'dark');
      const { violations } = await new AxeBuilder({ page }).withTags(WCAG).setLegacyMode().analyze();
      for (const v of violations) for (const n of v.nodes) found.push(`${name} (${width}, ${theme}) ${v.id}: ${n.target.join(' ')}`);
      const wide = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
      if (wide > 0) found.push(`${name} (${width}, ${theme}) ${wide}px too wide`);
    }
  }
  await page.setViewportSize({ width: 1280, height: 900 });
  expect(found).toEqual([]);
}

const dialog = () => page.getByRole('dialog', { name: 'Deploy' });

async function openDialog() {
  await page.goto(`${session.server.url}/page/jobs`);
  await page.getByTestId('run-deploy').click();
  await dialog().waitFor();
}

describe('a button with inputs', { timeout: 120_000 }, () => {
  it('asks them in a dialog that gives focus back when closed', async () => {
    await openDialog();
    expect(await page.evaluate(() => document.activeElement?.id)).toBe('input-deploy-ticket');
    await page.keyboard.press('Escape');
    await expect.poll(() => dialog().isVisible()).toBe(false);
    expect(await page.evaluate(() => (document.activeElement as HTMLElement | null)?.dataset.testid)).toBe('run-deploy');
    await page.getByTestId('run-deploy').click();
    await dialog().getByRole('button', { name: 'Cancel' }).click();
    await expect.poll(() => dialog().isVisible()).toBe(false);
    expect(await page.evaluate(() => (document.activeElement as HTMLElement | null)?.dataset.testid)).toBe('run-deploy');
  });

  it('starts the run with what was typed, shown on the run page', async () => {
    await openDialog();
    await dialog().getByLabel('Ticket').fill('OPS-42');
    await dialog().getByLabel('Instances').fill('4');
    await dialog().getByLabel('Dry run').check();
    await dialog().getByLabel('Level').selectOption('high');
    await dialog().getByTestId('run-go').click();
    await page.waitForURL(/\/runs\/\d+$/);
    await expect.poll(() => page.locator('.run-state').first().textContent(), { timeout: 15_000 }).toBe('succeeded');
    expect(await page.getByTestId('run-inputs').innerText()).toMatch(/ticket\s+OPS-42\s+count\s+4\s+dry\s+true\s+level\s+high/);
    await expect.poll(() => page.locator('[data-role="log"]').innerText()).toContain('ticket=OPS-42 count=4 dry=true level=high');
  });

  it('shows inputs the server refuses with the reasons, and starts nothing', async () => {
    await openDialog();
    const runs = async () => (await (await fetch(`${session.server.url}/runs`, { headers: { cookie: (await page.context().cookies()).map((c) => `${c.name}=${c.value}`).join('; ') } })).text()).match(/href="\/runs\/\d+"/g)?.length ?? 0;
    const before = await runs();
    await openDialog();
    await dialog().getByLabel('Instances').fill('9');
    await dialog().getByTestId('run-go').click();
    await page.waitForURL(/\/page\/jobs\/run\/deploy$/);
    const refused = await page.getByTestId('inputs-refused').innerText();
    expect(refused).toContain('This field is required.');
    expect(refused).toContain('Must be at most 5.');
    expect(await page.getByLabel('Instances').inputValue()).toBe('9');
    expect(await runs()).toBe(before);
    await page.getByLabel('Ticket').fill('OPS-43');
    await page.getByLabel('Instances').fill('5');
    await page.getByTestId('run-go').click();
    await page.waitForURL(/\/runs\/\d+$/);
  });

  const restoreDialog = () => page.getByRole('dialog', { name: 'Restore', exact: true });
  const confirmDialog = () => page.getByRole('dialog', { name: 'Restore?' });
  async function openRestore() {
    await page.goto(`${session.server.url}/page/jobs`);
    await page.getByTestId('run-restore').click();
    await restoreDialog().waitFor();
  }

  it("asks a confirm filled with the values typed, as text, and starts only once confirmed", async () => {
    await openRestore();
    expect(await restoreDialog().getByTestId('button-docs-restore-dialog').innerText()).toContain('Unpacks one archive; see the runbook.');
    await restoreDialog().getByLabel('Archive').fill('<i>docs</i>-1.tar');
    await restoreDialog().getByLabel('db').check();
    await restoreDialog().getByLabel('logs').check();
    await restoreDialog().getByLabel('Target folder').fill('checks/today');
    await restoreDialog().getByTestId('run-go').click();
    await confirmDialog().waitFor();
    expect(await page.locator('#confirm-text').textContent()).toBe('Restore <i>docs</i>-1.tar (db, logs) into checks/today?');
    expect(await page.locator('#confirm-text i').count()).toBe(0);
    // Escape asks nothing more and starts nothing: the inputs dialog is still there, as typed.
    await page.keyboard.press('Escape');
    await expect.poll(() => confirmDialog().isVisible()).toBe(false);
    expect(page.url()).toMatch(/\/page\/jobs$/);
    expect(await restoreDialog().getByLabel('Archive').inputValue()).toBe('<i>docs</i>-1.tar');
    await restoreDialog().getByLabel('Archive').fill('docs-2.tar');
    await restoreDialog().getByTestId('run-go').click();
    await confirmDialog().waitFor();
    expect(await page.locator('#confirm-text').textContent()).toBe('Restore docs-2.tar (db, logs) into checks/today?');
    await confirmDialog().getByRole('button', { name: 'Restore', exact: true }).click();
    await page.waitForURL(/\/runs\/\d+$/);
    await expect.poll(() => page.locator('.run-state').first().textContent(), { timeout: 15_000 }).toBe('succeeded');
    expect(await page.getByTestId('run-inputs').innerText()).toMatch(/archive\s+docs-2\.tar\s+parts\s+db, logs|archive\s+docs-2\.tar\s+parts\s+db\s+logs/);
  });

  /** The form page posted as a browser without script posts it: no dialog, so the server asks on a page. */
  async function openReview() {
    await page.goto(`${session.server.url}/page/jobs/run/restore`);
    await page.getByLabel('Archive').fill('docs-3.tar');
    await page.getByLabel('files').check();
    // submit() skips the submit event, as a browser without script skips the app's dialog.
    await Promise.all([page.waitForLoadState('load'), page.locator('form[data-confirm]').evaluate((f: HTMLFormElement) => f.submit())]);
    await page.getByTestId('run-review').waitFor();
  }

  it('asks on a review page without script, filled the same way, and starts once confirmed there', async () => {
    await openReview();
    expect(await page.getByTestId('run-review-text').innerText()).toBe('Restore docs-3.tar (files) into check?');
    await page.getByTestId('run-confirmed').click();
    await page.waitForURL(/\/runs\/\d+$/);
    await expect.poll(() => page.locator('.run-state').first().textContent(), { timeout: 15_000 }).toBe('succeeded');
  });

  const printDialog = () => page.getByRole('dialog', { name: 'Print' });
  async function openPrint() {
    await page.goto(`${session.server.url}/page/jobs`);
    await page.getByTestId('run-print').click();
    await printDialog().waitFor();
  }

  it('takes a file in the dialog and hands the script the same bytes', async () => {
    await openPrint();
    const input = printDialog().getByLabel('3D model');
    expect(await input.getAttribute('accept')).toBe('.stl,.obj');
    expect(await printDialog().innerText()).toContain('Takes .stl, .obj files of up to 2 MB.');
    const bytes = Buffer.from('solid cube\n  facet normal 0 0 1\nendsolid cube\n');
    await input.setInputFiles({ name: 'cube.stl', mimeType: 'model/stl', buffer: bytes });
    await printDialog().getByTestId('run-go').click();
    await page.waitForURL(/\/runs\/\d+$/);
    await expect.poll(() => page.locator('.run-state').first().textContent(), { timeout: 15_000 }).toBe('succeeded');
    const sum = createHash('sha256').update(bytes).digest('hex');
    expect(await page.getByTestId('run-inputs').innerText()).toContain(`cube.stl (${bytes.length} B, sha256 ${sum.slice(0, 12)}`);
    await expect.poll(() => page.locator('[data-role="log"]').innerText()).toContain(`model=cube.stl sum=${sum}`);
  });

  it('passes axe and fits a phone: the dialog open, the refusal, a run waiting for a labelled runner', async () => {
    await check('inputs dialog with a file', openPrint);
    await check('inputs dialog with docs', openRestore);
    await check('confirm filled with the inputs', async () => {
      await openRestore();
      await restoreDialog().getByLabel('Archive').fill('docs-4.tar');
      await restoreDialog().getByTestId('run-go').click();
      await confirmDialog().waitFor();
    });
    await check('confirm review page', openReview);
    await check('inputs dialog', openDialog);
    await check('inputs refused', async () => {
      await openDialog();
      await dialog().getByLabel('Ticket').fill('x');
      await dialog().getByLabel('Instances').fill('0');
      await dialog().getByTestId('run-go').click();
      await page.waitForURL(/\/page\/jobs\/run\/deploy$/);
    });
    await page.goto(`${session.server.url}/page/jobs`);
    await page.getByTestId('run-on_db').click();
    await page.waitForURL(/\/runs\/\d+$/);
    const run = page.url();
    expect(await page.getByTestId('runner-waiting').innerText()).toBe('waiting: no runner with label host=db-1 is online');
    await check('run waiting for a label', () => page.goto(run));
    await check('page with a button waiting for a label', () => page.goto(`${session.server.url}/page/jobs`));
  });

  it('showed no errors in the browser console', () => {
    // Chromium logs every page answered with an error status; the refusals above are 422 on purpose.
    expect(session.consoleErrors.filter((e) => !/status of 422/.test(e))).toEqual([]);
  });
});
