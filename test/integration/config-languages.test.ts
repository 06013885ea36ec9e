/**
 * Config text written in several languages, through the built server: each
 * person reads titles, labels, help and confirm texts in their language (the
 * default language's where a text has none), while the JSON API, which
 * scripts read, keeps the default language.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { apiToken, Client } from '../helpers/client.ts';
import { startServer, type TestServer } from '../helpers/server.ts';

const CONFIG = `toplevel_title: {en: Operations, fr: Exploitation, es: Operaciones}
pages:
  - slug: backup
    title: {en: Nightly backup, fr: Sauvegarde nocturne, it: Backup notturno}
    description: {en: "Copies **every** night.", fr: "Copie **chaque** nuit."}
    parameters:
      - name: keep
        type: integer
        default: 7
        label: {en: Days to keep, fr: Jours à conserver}
        help_text: {en: Older copies go., fr: Les copies plus anciennes partent.}
    buttons:
      - name: now
        label: {en: Back up now, fr: Sauvegarder maintenant}
        confirm: {en: Start a backup?, fr: Lancer une sauvegarde ?}
        script_path: scripts/now.sh
        status_file: app_data/status/now.json
        report_path: app_data/reports/now.log
`;

let server: TestServer;

beforeAll(async () => {
  server = await startServer({ config: CONFIG, files: { 'scripts/now.sh': '#!/usr/bin/env bash\necho ok\n' }, users: [{ name: 'fleur', role: 'editor', password: 'fleur-password-1' }] });
});
afterAll(async () => {
  await server?.stop();
});

async function pageIn(language: string): Promise<string> {
  const c = new Client(server.url);
  await c.login('fleur', 'fleur-password-1');
  const res = await c.get('/page/backup', { 'Accept-Language': language });
  expect(res.status).toBe(200);
  return res.text();
}

describe('config text in the reader\'s language', { timeout: 60_000 }, () => {
  it('shows a French reader the French title, description, label, help and confirm', async () => {
    const html = await pageIn('fr-FR,fr;q=0.9');
    expect(html).toContain('<html lang="fr"');
    expect(html).toContain('Exploitation');
    expect(html).toMatch(/<h1[^>]*>Sauvegarde nocturne<\/h1>/);
    expect(html).toContain('Copie <strong>chaque</strong> nuit.');
    expect(html).toContain('Jours à conserver');
    expect(html).toContain('Les copies plus anciennes partent.');
    expect(html).toContain('Sauvegarder maintenant');
    expect(html).toContain('Lancer une sauvegarde ?');
    expect(html).not.toContain('Nightly backup');
    expect(html).not.toContain('Days to keep');
  });

  it('falls back to the default language text by text', async () => {
    const html = await pageIn('it');
    expect(html).toMatch(/<h1[^>]*>Backup notturno<\/h1>/);
    expect(html).toContain('Operations');
    expect(html).toContain('Days to keep');
    expect(html).toContain('Back up now');
  });

  it('gives scripts the default language, whatever they ask for', async () => {
    const token = await apiToken(server.url, 'fleur', 'fleur-password-1');
    const res = await fetch(`${server.url}/api/v1/pages/backup`, { headers: { Authorization: `Bearer ${token}`, 'Accept-Language': 'fr' } });
    const body = JSON.stringify(await res.json());
    expect(body).toContain('Nightly backup');
    expect(body).toContain('Days to keep');
    expect(body).not.toContain('Sauvegarde');
  });
});
