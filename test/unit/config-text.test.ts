/** Config text in several languages: parsed once, read in one language everywhere else. */
import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/core/config/load.ts';

const yaml = `toplevel_title: {en: Operations, fr: Exploitation}
pages:
  - slug: backup
    title: {en: Backup, es: Copia de seguridad, fr: Sauvegarde}
    description: {en: "Nightly **copies**", it: "Copie **notturne**"}
    parameters:
      - name: keep
        type: integer
        label: {en: Days to keep, es: Días que se guardan}
        help_text: {en: Older copies are removed., fr: Les copies plus anciennes sont supprimées.}
    buttons:
      - name: run
        label: Run now
        confirm: {en: Start a backup?, it: Avviare un backup?}
        script_path: scripts/backup.sh
        status_file: app_data/status/backup.json
        report_path: app_data/reports/backup.html
  - slug: plain
    title: Plain
`;

function parsed() {
  const r = parseConfig(yaml);
  if (!r.ok) throw new Error(r.problems.map((p) => p.message).join('\n'));
  return r;
}

describe('config text in several languages', () => {
  it('reads in the default language unless asked for another', () => {
    const { config } = parsed();
    expect(config.toplevel_title).toBe('Operations');
    expect(config.pages[0]!.title).toBe('Backup');
    expect(config.pages[0]!.parameters[0]!.label).toBe('Days to keep');
    expect(config.pages[0]!.buttons[0]!.confirm).toBe('Start a backup?');
  });

  it('gives each text in the language asked, the default language where it has none', () => {
    const { inLanguage } = parsed();
    const fr = inLanguage('fr');
    expect(fr.toplevel_title).toBe('Exploitation');
    expect(fr.pages[0]!.title).toBe('Sauvegarde');
    expect(fr.pages[0]!.description).toBe('Nightly **copies**');
    expect(fr.pages[0]!.parameters[0]!.label).toBe('Days to keep');
    expect(fr.pages[0]!.parameters[0]!.help_text).toBe('Les copies plus anciennes sont supprimées.');
    const it_ = inLanguage('it');
    expect(it_.pages[0]!.description).toBe('Copie **notturne**');
    expect(it_.pages[0]!.buttons[0]!.confirm).toBe('Avviare un backup?');
    expect(it_.pages[0]!.buttons[0]!.label).toBe('Run now');
    expect(inLanguage('es').pages[0]!.parameters[0]!.label).toBe('Días que se guardan');
  });

  it('makes each language once and shares what has no translations', () => {
    const { config, inLanguage } = parsed();
    expect(inLanguage('fr')).toBe(inLanguage('fr'));
    expect(inLanguage('en')).toBe(config);
    expect(inLanguage('fr').pages[1]).toBe(config.pages[1]);
    expect(JSON.stringify(config)).not.toContain('byLanguage');
  });

  it('hands out the very same config for a file written in one language', () => {
    const r = parseConfig('toplevel_title: T\npages:\n  - slug: home\n    title: Home\n');
    expect(r.ok && r.inLanguage('es')).toBe(r.ok && r.config);
  });
});

describe('an email in its target\'s language', () => {
  it('names the site, page and button as the config words them in that language', async () => {
    const { namedIn, emailFor } = await import('../../src/core/notify-message.ts');
    const { inLanguage, config } = parsed();
    const body = { schema: 'switchyard.event/v1', id: 'e1', type: 'run.failed', site: { title: config.toplevel_title }, page: { slug: 'backup', title: 'Backup', url: 'https://x/page/backup' }, button: { name: 'run', label: 'Run now' }, data: { run: { id: 7, state: 'failed' } } };
    const fr = namedIn(body, inLanguage('fr'));
    expect(fr).toMatchObject({ site: { title: 'Exploitation' }, page: { slug: 'backup', title: 'Sauvegarde', url: 'https://x/page/backup' }, button: { label: 'Run now' } });
    expect(emailFor(fr, 'fr').subject).toMatch(/^\[Exploitation\] Sauvegarde › Run now/);
    // A page since removed keeps the words the event was recorded with.
    expect(namedIn({ ...body, page: { slug: 'gone', title: 'Gone' } }, inLanguage('fr')).page).toEqual({ slug: 'gone', title: 'Gone' });
  });
});
