/**
 * The page screen in the reader's language, through the built server: the
 * form, a refused save's messages, the import preview's problems, the
 * history, a schedule in words and the page's own docs in that language.
 * The JSON API answers the same refusal in English, whatever the caller's
 * language.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { apiToken, Client, revisionOf, textOf } from '../helpers/client.ts';
import { startServer, type TestServer } from '../helpers/server.ts';

const CONFIG = `toplevel_title: Languages
pages:
  - slug: p
    title: P
    docs: {en: "Sizes the nightly batch.", es: "Dimensiona el lote nocturno."}
    parameters:
      - {name: workers, label: Workers, type: integer, min: 1, default: 2}
      - {name: mode, type: select, options: [fast, safe]}
    buttons:
      - name: nightly
        label: Nightly
        script_path: scripts/n.sh
        status_file: app_data/status/n.json
        report_path: app_data/reports/n.log
        schedule: {cron: "0 3 * * 1-5", timezone: UTC}
`;
const NBSP = '\u00a0';

let server: TestServer;
let c: Client;

const inLanguage = (lang: string) => ({ 'accept-language': lang });
async function saveAs(lang: string, fields: Record<string, string>): Promise<Response> {
  const html = await (await c.get('/page/p')).text();
  return c.post('/page/p', new URLSearchParams({ _revision: revisionOf(html), action: 'save', ...fields }), inLanguage(lang));
}

beforeAll(async () => {
  server = await startServer({ config: CONFIG, files: { 'scripts/n.sh': '#!/usr/bin/env bash\necho hi\n' }, users: [{ name: 'ed', role: 'editor', password: 'ed-password' }] });
  c = new Client(server.url);
  await c.login('ed', 'ed-password');
});
afterAll(async () => {
  await server?.stop();
});

describe('the page screen in the reader\'s language', () => {
  it('shows the form, the tasks and the schedule in Spanish', async () => {
    const html = await (await c.get('/page/p', inLanguage('es'))).text();
    expect(textOf(html, 'last-save')).toContain('Aún no se ha guardado');
    expect(html).toContain('Guardar la configuración');
    expect(html).toContain('Exportar a YAML');
    expect(textOf(html, 'schedule-nightly')).toContain('A las 03:00, de lunes a viernes (hora de UTC)');
    expect(textOf(html, 'docs')).toContain('Sobre esta página');
    expect(textOf(html, 'docs')).toContain('Dimensiona el lote nocturno.');
    expect(html).not.toContain('Save configuration');
    expect(html).not.toContain('Not saved yet');
  });

  it('refuses a save in French, each message beside its field, and keeps the typed values', async () => {
    const res = await saveAs('fr', { workers: '0', mode: 'slow' });
    expect(res.status).toBe(422);
    const html = await res.text();
    expect(textOf(html, 'notice-invalid')).toContain('2 champs demandent votre attention. Rien n\'a été enregistré');
    expect(html).toContain(`Doit valoir au moins 1.`);
    expect(html).toContain(`Choisissez parmi${NBSP}: fast, safe.`);
    expect(html).toContain(`Workers${NBSP}: Doit valoir au moins 1.`);
    expect(html).toMatch(/name="workers"[^>]*value="0"/);
  });

  it('says the same refusal in English to the JSON API, whatever language the caller asks for', async () => {
    const token = await apiToken(server.url, 'ed', 'ed-password');
    const headers = { authorization: `Bearer ${token}`, 'content-type': 'application/json', 'accept-language': 'fr' };
    const { revision } = (await (await fetch(`${server.url}/api/v1/pages/p`, { headers })).json()) as { revision: number };
    const res = await fetch(`${server.url}/api/v1/pages/p/values`, { method: 'PUT', headers, body: JSON.stringify({ revision, values: { workers: 0 } }) });
    expect(res.status).toBe(422);
    expect(await res.json()).toMatchObject({ errors: { workers: 'Must be at least 1 (got 0)' } });
  });

  it('names what an imported file cannot give in Italian', async () => {
    const form = new FormData();
    form.set('file', new File(['workers: many\nextra: 1\n'], 'valori.yaml', { type: 'text/yaml' }));
    const res = await fetch(`${server.url}/page/p/import`, { method: 'POST', body: form, redirect: 'manual', headers: { cookie: c.cookieHeader(), origin: server.url, 'accept-language': 'it' } });
    const html = await res.text();
    expect(html).toContain('Importazione da valori.yaml');
    const problems = textOf(html, 'import-problems')!;
    expect(problems).toContain('workers: atteso un numero intero, trovato "many"');
    expect(problems).toContain('extra: non è un parametro di questa pagina (ha workers, mode)');
  });

  it('shows a save and the history in Spanish', async () => {
    const saved = await saveAs('es', { workers: '4', mode: 'safe' });
    expect(saved.status).toBe(303);
    const page = await (await c.get(saved.headers.get('location')!, inLanguage('es'))).text();
    expect(textOf(page, 'notice-saved')).toMatch(/Guardado\. Versión \d+ de ed, el/);
    expect(textOf(page, 'last-save')).toContain('Guardado por última vez por ed el');
    const history = await (await c.get('/page/p/history', inLanguage('es'))).text();
    expect(history).toContain('<h1 class="text-2xl font-semibold tracking-tight">Historial</h1>');
    expect(history).toMatch(/Workers<\/span>\s*<span[^>]*>\(workers\)<\/span>:\s*<span class="value-old">2<\/span>/);
    expect(history).toContain('<span class="value-old">(vacío)</span>');
  });
});
