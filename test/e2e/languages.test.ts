/**
 * Four languages in real Chromium: the browser's language is the default, a
 * person's choice on the account page is kept (and wins over the browser),
 * and the account page passes axe in each language, light and dark, on a
 * desktop and a 390 px phone, with its lang attribute set. The server's own
 * words (a login refusal, a page refused for want of rights) follow too.
 */
import { AxeBuilder } from '@axe-core/playwright';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { launchBrowser } from '../helpers/browser.ts';
import { startServer, type TestServer } from '../helpers/server.ts';

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
  const { violations } = await new AxeBuilder({ page }).withTags(['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']).setLegacyMode().analyze();
  return violations.flatMap((v) => v.nodes.map((n) => `${v.id}: ${n.target.join(' ')}`));
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
});
