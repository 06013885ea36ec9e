/**
 * A scheduled button in real Chromium: its timing in words, the next moments
 * in the reader's own time zone, and an admin's pause and resume (answered
 * with a redirect, so a reload repeats nothing; both in the audit log).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { launchBrowser, snapshot } from '../helpers/browser.ts';
import { Client } from '../helpers/client.ts';
import { startServer, type TestServer } from '../helpers/server.ts';
import { LOCAL_PARTS } from '../../src/core/time.ts';

let server: TestServer;
let browser: Awaited<ReturnType<typeof launchBrowser>>;
let page: Page;
const consoleErrors: string[] = [];

beforeAll(async () => {
  server = await startServer({ users: [{ name: 'root', role: 'admin', password: 'root-password' }, { name: 'op', role: 'operator', password: 'op-password' }] });
  browser = await launchBrowser();
  page = await browser.context.newPage();
  page.on('console', (m) => m.type() === 'error' && consoleErrors.push(m.text()));
  page.on('pageerror', (e) => consoleErrors.push(e.message));
  // The reader is in Tokyo, whatever zone the server runs in.
  await (await browser.context.newCDPSession(page)).send('Emulation.setTimezoneOverride', { timezoneId: 'Asia/Tokyo' });
  await page.goto(`${server.url}/login?next=/page/database-backup`);
  await page.getByLabel('Username').fill('root');
  await page.getByLabel('Password').fill('root-password');
  await page.getByRole('button', { name: 'Log in' }).click();
  await page.waitForURL(`${server.url}/page/database-backup`);
});
afterAll(async () => {
  await browser?.close();
  await server?.stop();
});

async function auditActions(): Promise<string[]> {
  const { rows } = await server.db().execute("SELECT action FROM audit_log WHERE action LIKE 'schedule_%' ORDER BY id");
  return rows.map((r) => String(r.action));
}

describe('a scheduled button', () => {
  it('says when it runs, in words and in the reader\'s own time', async () => {
    const box = page.getByTestId('schedule-run_backup');
    await expect.poll(() => box.textContent()).toContain('At 03:00');
    const times = box.getByTestId('schedule-next').locator('time');
    expect(await times.count()).toBe(3);
    const first = times.first();
    const iso = (await first.getAttribute('datetime'))!;
    const tokyo = new Intl.DateTimeFormat(undefined, { ...LOCAL_PARTS, timeZone: 'Asia/Tokyo' }).format(new Date(iso));
    expect(await first.textContent()).toBe(tokyo);
    expect(tokyo).toMatch(/GMT\+9|JST/);
    expect(await box.textContent()).toContain('runs once if Switchyard is back within 12 h');
    await snapshot(page, 'schedule');
  });

  it('an admin pauses and resumes it; a reload repeats neither; both are audited', async () => {
    await page.getByTestId('schedule-pause-run_backup').click();
    await page.getByTestId('schedule-paused').waitFor();
    expect(new URL(page.url()).pathname).toBe('/page/database-backup');
    expect(await page.getByTestId('schedule-paused').textContent()).toContain('Paused by root');
    await page.reload();
    await page.getByTestId('schedule-paused').waitFor();
    expect(await auditActions()).toEqual(['schedule_paused']);
    await page.getByTestId('schedule-resume-run_backup').click();
    await page.getByTestId('schedule-next').waitFor();
    await page.reload();
    expect(await auditActions()).toEqual(['schedule_paused', 'schedule_resumed']);
    expect(consoleErrors).toEqual([]);
  });

  it('people who are not admins see the schedule but no pause button, and cannot post one', async () => {
    const op = new Client(server.url);
    await op.login('op', 'op-password');
    const html = await (await op.get('/page/database-backup')).text();
    expect(html).toContain('data-testid="schedule-run_backup"');
    expect(html).not.toContain('schedule-pause-run_backup');
    const res = await op.post('/page/database-backup/schedule/run_backup', { action: 'pause' });
    expect(res.status).toBe(403);
    expect(await auditActions()).toEqual(['schedule_paused', 'schedule_resumed']);
  });
});
