/**
 * Admin → Deliveries in real Chromium: a webhook the receiver refused is
 * shown given up, with its answer; the admin resends it, and once the
 * receiver takes it the page shows it delivered. A test event reaches the
 * receiver from the same page.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { launchBrowser } from '../helpers/browser.ts';
import { Client } from '../helpers/client.ts';
import { save } from '../helpers/publication.ts';
import { webhookReceiver, type WebhookReceiver } from '../helpers/receivers.ts';
import { EXAMPLE_CONFIG, startServer, type TestServer } from '../helpers/server.ts';

const SECRET = 'deliveries-e2e-key-0123456789';
let server: TestServer;
let hook: WebhookReceiver;
let browser: Awaited<ReturnType<typeof launchBrowser>>;
let page: Page;
let accept = false;

beforeAll(async () => {
  hook = await webhookReceiver(SECRET);
  hook.respond = () => (accept ? { status: 202, body: 'thanks' } : { status: 500, body: 'receiver is broken' });
  server = await startServer({
    config: `${EXAMPLE_CONFIG}\nnotify:\n  targets:\n    - name: ops-hook\n      webhook: {url: "${hook.url}", secret_env: E2E_WEBHOOK_SECRET}\n      events: [values.saved]\n`,
    env: { E2E_WEBHOOK_SECRET: SECRET, SWITCHYARD_DELIVERY_ATTEMPTS: '2', SWITCHYARD_DELIVERY_BACKOFF_MS: '50' },
    users: [{ name: 'root', role: 'admin', password: 'root-password-1' }],
  });
  browser = await launchBrowser();
  page = await browser.context.newPage();
  await page.goto(`${server.url}/login`);
  await page.getByLabel('Username').fill('root');
  await page.getByLabel('Password').fill('root-password-1');
  await page.getByRole('button', { name: 'Log in' }).click();
  await page.waitForURL((u) => !u.pathname.startsWith('/login'));
});
afterAll(async () => {
  await browser?.close();
  await server?.stop();
  await hook?.close();
});

describe('Admin → Deliveries', () => {
  it('shows a delivery the receiver refused, and resends it', async () => {
    const c = new Client(server.url);
    await c.login('root', 'root-password-1');
    await save(c, 'data-processing', { inputs_directory: '/mnt/refused' });
    const failed = page.locator('tr[data-state="failed"]');
    for (let i = 0; i < 100 && (await failed.count()) === 0; i++) {
      await page.goto(`${server.url}/admin/deliveries`);
      if ((await failed.count()) === 0) await page.waitForTimeout(100);
    }
    await expect.poll(() => failed.count()).toBe(1);
    expect(await failed.getByTestId('delivery-error').textContent()).toBe('answered 500 Internal Server Error');
    expect(await failed.locator('td[data-label="Attempts"]').textContent()).toBe('2');
    await failed.getByText('Answer', { exact: true }).click();
    expect(await failed.locator('pre').textContent()).toBe('receiver is broken');
    expect(hook.received).toHaveLength(2);

    accept = true;
    await failed.getByRole('button', { name: 'Resend' }).click();
    await page.waitForURL((u) => u.searchParams.has('done'));
    expect(await page.getByRole('status').first().textContent()).toContain('is back in line');
    await expect.poll(async () => {
      await page.reload();
      return page.locator('tr[data-state="delivered"]').count();
    }, { timeout: 10_000 }).toBe(1);
    expect(hook.received).toHaveLength(3);
    expect(hook.received.every((r) => r.verified)).toBe(true);
    expect(new Set(hook.received.map((r) => r.headers['switchyard-delivery'])).size).toBe(1);
  });

  it('sends a test event to a target', async () => {
    await page.goto(`${server.url}/admin/deliveries`);
    await page.getByTestId('test-ops-hook').click();
    await page.waitForURL((u) => u.searchParams.has('done'));
    await expect.poll(() => hook.received.some((r) => r.headers['switchyard-event'] === 'notification.test'), { timeout: 10_000 }).toBe(true);
  });
});
