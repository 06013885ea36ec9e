/**
 * Four languages in real Chromium: the browser's language is the default, a
 * person's choice on the account page is kept (and wins over the browser),
 * and the account page passes axe in each language, light and dark, on a
 * desktop and a 390 px phone, with its lang attribute set. The server's own
 * words (a login refusal, a page refused for want of rights) follow too.
 * desktop and a 390 px phone, with its lang attribute set. A run page in
 * Spanish stays Spanish as the browser updates it live.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { axeFindings, launchBrowser } from '../helpers/browser.ts';
import { ROOT, startServer, type TestServer } from '../helpers/server.ts';
import { startRunner } from '../helpers/runner.ts';

let server: TestServer;
let browser: Awaited<ReturnType<typeof launchBrowser>>;
let page: Page;

beforeAll(async () => {
  server = await startServer({ users: [{ name: 'lucia', role: 'editor', password: 'lucia-password-1' }] });
  browser = await launchBrowser();
  page = await browser.context.newPage();
});
afterAll(async () => {
  await browser?.close();
  await server?.stop();
});

async function axe(): Promise<string[]> {
  return axeFindings(page);
}

describe('languages', { timeout: 120_000 }, () => {
  it("speaks the browser's language before anyone logs in", async () => {
    await page.setExtraHTTPHeaders({ 'Accept-Language': 'it-IT,it;q=0.9,en;q=0.5' });
    await page.goto(`${server.url}/login`);
    expect(await page.getAttribute('html', 'lang')).toBe('it');
    expect(await page.getByRole('heading', { level: 1 }).textContent()).toBe('Accedi');
    await page.getByLabel('Nome utente').fill('lucia');
    await page.getByLabel('Password').fill('lucia-password-1');
    await page.getByRole('button', { name: 'Accedi' }).click();
    await page.waitForURL((u) => !u.pathname.startsWith('/login'));
    expect(await page.getByRole('link', { name: 'Account' }).count()).toBe(1);
  });

  it('keeps the language a person chooses, over the browser, and the account page passes axe in each', async () => {
    const found: string[] = [];
    const titles: Record<string, string> = { en: 'Your account', es: 'Tu cuenta', it: 'Il tuo account', fr: 'Votre compte' };
    for (const lang of ['fr', 'es', 'en', 'it'] as const) {
      await page.goto(`${server.url}/account`);
      await page.getByTestId('language').selectOption(lang);
      await page.locator('form:has([data-testid="language"]) button').click();
      await page.waitForURL((u) => u.searchParams.has('done'));
      expect(await page.getAttribute('html', 'lang')).toBe(lang);
      expect(await page.getByRole('heading', { level: 1 }).textContent()).toBe(titles[lang]);
      for (const size of [{ width: 1280, height: 900 }, { width: 390, height: 844 }]) {
        await page.setViewportSize(size);
        for (const theme of ['light', 'dark']) {
          await page.evaluate((t) => localStorage.setItem('switchyard-theme', t), theme);
          await page.goto(`${server.url}/account`);
          for (const v of await axe()) found.push(`${lang} ${size.width}px ${theme}: ${v}`);
          if (size.width === 390 && (await page.evaluate(() => document.documentElement.scrollWidth > window.innerWidth))) found.push(`${lang} ${theme}: scrolls sideways at 390 px`);
        }
      }
    }
    expect(found).toEqual([]);
    // Back to following the browser (Italian here).
    await page.goto(`${server.url}/account`);
    await page.getByTestId('language').selectOption('');
    await page.locator('form:has([data-testid="language"]) button').click();
    await page.waitForURL((u) => u.searchParams.has('done'));
    expect(await page.getAttribute('html', 'lang')).toBe('it');
  });

  it("tells a French speaker in French that the password was wrong, and that only admins may open the users' page", async () => {
    await browser.context.clearCookies();
    await page.setExtraHTTPHeaders({ 'Accept-Language': 'fr-FR,fr;q=0.9' });
    await page.setViewportSize({ width: 1280, height: 900 });
    await page.goto(`${server.url}/login`);
    await page.getByLabel("Nom d'utilisateur").fill('lucia');
    await page.getByLabel('Mot de passe').fill('not-her-password');
    await page.getByRole('button', { name: 'Se connecter' }).click();
    await page.getByTestId('login-error').waitFor();
    expect(await page.getByTestId('login-error').textContent()).toBe("Nom d'utilisateur ou mot de passe incorrect.");
    expect(await axe()).toEqual([]);

    await page.getByLabel('Mot de passe').fill('lucia-password-1');
    await page.getByRole('button', { name: 'Se connecter' }).click();
    await page.waitForURL((u) => !u.pathname.startsWith('/login'));
    const answer = await page.goto(`${server.url}/admin/users`);
    expect(answer?.status()).toBe(403);
    expect(await page.getAttribute('html', 'lang')).toBe('fr');
    expect(await page.getByRole('heading', { level: 1 }).textContent()).toBe('Non autorisé');
    expect(await page.getByTestId('error').locator('p').first().textContent()).toBe(
      'Seuls les administrateurs peuvent gérer les utilisateurs, les sessions, les runners, les notifications et le journal d\'audit.',
    );
    expect(await axe()).toEqual([]);
  });

  it('shows a run in Spanish while it goes on and once it ended, and the run page passes axe light and dark', async () => {
    // The example config's button and script, with short steps.
    const runner = await startRunner(server, 'languages', { SWITCHYARD_RUNNER_ROOT: ROOT, SWITCHYARD_STEP_SECONDS: '0.5' });
    const errors: string[] = [];
    page.on('console', (m) => m.type() === 'error' && errors.push(m.text()));
    page.on('pageerror', (e) => errors.push(e.message));
    try {
      await page.setViewportSize({ width: 1280, height: 900 });
      await page.evaluate(() => localStorage.setItem('switchyard-theme', 'light'));
      await page.goto(`${server.url}/account`);
      await page.getByTestId('language').selectOption('es');
      await page.locator('form:has([data-testid="language"]) button').click();
      await page.waitForURL((u) => u.searchParams.has('done'));

      await page.goto(`${server.url}/page/data-processing`);
      await page.getByTestId('run-start_processing').click();
      await page.waitForURL(/\/runs\/\d+$/);
      expect(await page.getByRole('heading', { level: 1 }).textContent()).toMatch(/^Ejecución \d+: Start Full Processing$/);
      // Marks this page: a reload would lose it, so what follows was written by the live updates.
      await page.evaluate(() => Object.assign(window, { openedOnce: true }));
      const meta = page.getByTestId('run-meta');
      await expect.poll(() => meta.innerText(), { timeout: 10_000 }).toMatch(/en curso desde hace \d+ s/);
      await expect.poll(() => page.locator('.run-state').first().textContent(), { timeout: 20_000 }).toBe('correcta');
      await expect.poll(() => meta.innerText(), { timeout: 5000 }).toMatch(/duró \d+(,\d)? s · terminó el \d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC · código de salida 0/);
      expect(await page.evaluate(() => (window as unknown as { openedOnce?: boolean }).openedOnce)).toBe(true);
      expect(await page.getByTestId('rerun').textContent()).toBe('Ejecutar de nuevo con los mismos valores');

      const found: string[] = [];
      for (const theme of ['light', 'dark']) {
        await page.evaluate((t) => localStorage.setItem('switchyard-theme', t), theme);
        await page.reload();
        // The same words after a reload as the live page wrote.
        expect(await page.locator('.run-state').first().textContent()).toBe('correcta');
        expect(await page.getByTestId('run-meta').innerText()).toMatch(/duró \d+(,\d)? s/);
        for (const v of await axe()) found.push(`${theme}: ${v}`);
      }
      expect(found).toEqual([]);
      // The words the browser writes came as data, which the CSP let through: no refusal, no error.
      expect(errors).toEqual([]);
    } finally {
      await runner.stop();
      await page.goto(`${server.url}/account`);
      await page.getByTestId('language').selectOption('');
      await page.locator('form:has([data-testid="language"]) button').click();
      await page.waitForURL((u) => u.searchParams.has('done'));
    }
  });
});
