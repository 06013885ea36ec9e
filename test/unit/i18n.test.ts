/**
 * The four catalogues say the same things: the same keys, nothing empty, the
 * same placeholders and markup in every language; every key the code asks
 * for exists; and the screens already translated carry no English of their
 * own (text or a label attribute outside a `t(…)` call), so a string added
 * to them without a catalogue entry fails here.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CATALOGUES, fromAcceptLanguage, languageFor, translator } from '../../src/core/i18n.ts';
import { LANGUAGES } from '../../src/core/languages.ts';

/** Every screen: its strings come from the catalogues. */
const SCREENS = ['src/pages', 'src/components', 'src/layouts'].flatMap((dir) => sources(dir)).filter((f) => f.endsWith('.astro'));

function flatten(o: Record<string, unknown>, prefix = ''): Map<string, string> {
  const out = new Map<string, string>();
  for (const [k, v] of Object.entries(o)) {
    if (v && typeof v === 'object') for (const [kk, vv] of flatten(v as Record<string, unknown>, `${prefix}${k}.`)) out.set(kk, vv);
    else out.set(`${prefix}${k}`, String(v));
  }
  return out;
}

const flat = Object.fromEntries(LANGUAGES.map((l) => [l, flatten(CATALOGUES[l])]));
const marks = (s: string) => [...s.matchAll(/\{\{\s*(\w+)\s*\}\}|<\/?(\w+)>/g)].map((m) => m[1] ?? `<${m[2]}>`).sort();

function sources(dir: string): string[] {
  return readdirSync(dir).flatMap((f) => {
    const p = join(dir, f);
    return statSync(p).isDirectory() ? sources(p) : /\.(astro|ts)$/.test(f) ? [p] : [];
  });
}

describe('the catalogues', () => {
  it.each(LANGUAGES.filter((l) => l !== 'en'))('%s has exactly the keys of English, none empty, with the same placeholders and markup', (lang) => {
    const en = flat.en!;
    const other = flat[lang]!;
    expect([...other.keys()].sort()).toEqual([...en.keys()].sort());
    for (const [key, text] of other) {
      expect(text.trim(), `${lang}: ${key}`).not.toBe('');
      expect(marks(text), `${lang}: ${key}`).toEqual(marks(en.get(key)!));
    }
  });

  it('have every key the code asks for', () => {
    const missing: string[] = [];
    for (const file of sources('src')) {
      const text = readFileSync(file, 'utf8');
      for (const m of text.matchAll(/\bt\(\s*'([\w.]+)'/g)) if (!flat.en!.has(m[1]!) && !flat.en!.has(`${m[1]}_other`)) missing.push(`${file}: ${m[1]}`); // a plural has _one, _other…
      // A key made at run time (`roles.${role}`): its fixed part must name a group.
      for (const m of text.matchAll(/\bt\(\s*`([\w.]+)\.\$\{/g)) if (![...flat.en!.keys()].some((k) => k.startsWith(`${m[1]}.`))) missing.push(`${file}: ${m[1]}.*`);
    }
    expect(missing).toEqual([]);
  });
});

/** Names that are the same in every language (file formats): not English to translate. */
const NAMES = ['CSV', 'JSON', 'YAML'];

/**
 * A string literal that reads as English words to show (a capitalised word
 * followed by more words, or three words in a row), not a class list, an id
 * or a key: those have no spaces between plain words, or carry - : / = _ .
 */
function englishLiterals(code: string): string[] {
  const found: string[] = [];
  for (const m of code.matchAll(/'((?:[^'\\\n]|\\.)*)'|"((?:[^"\\\n]|\\.)*)"|`((?:[^`\\]|\\.)*)`/g)) {
    const text = (m[1] ?? m[2] ?? m[3]!).replace(/\$\{[^}]*\}|\$(?= )/g, ' ');
    const words = text.split(/\s+/).filter(Boolean);
    if (words.some((w) => /[-:/=_.#@[\]<>(){}]/.test(w.replace(/[.,;:!?)]+$/, '').replace(/^\(/, '')))) continue;
    if (/\b[A-Z][a-z']+ [a-z']+/.test(text) || /\b[a-z']{2,} [a-z']{2,} [a-z']{2,}\b/.test(text)) found.push(text.trim());
  }
  return found;
}

/**
 * Text a template shows that does not come from a `t(…)` call: words between
 * tags, label-like attributes, and English string literals in the front matter
 * and in expressions (a `t('…', {…})` call's own arguments aside).
 */
function ownEnglish(source: string): string[] {
  const front = source.match(/^---\n([\s\S]*?)\n---\n/)?.[1] ?? '';
  let body = source.slice(front ? front.length + 8 : 0);
  const found = englishLiterals(front.replace(/^\s*(import|\/\/|\*|\/\*).*$/gm, ''));
  // Expressions first (they may hold tags and quotes): innermost braces, repeatedly, keeping
  // what they would show: their English literals and the words between the tags they hold.
  for (let before = ''; before !== body; ) {
    before = body;
    body = body.replace(/\{[^{}]*\}/g, (expr) => {
      found.push(...englishLiterals(expr.replace(/<[^>]*>/g, ' ')));
      // Words right after a tag, up to the code that follows it (an operator, a quote, a bracket).
      for (const m of expr.matchAll(/<\/?[A-Za-z]*[^<>]*>([^<]*)/g)) for (const w of m[1]!.split(/['"`(){}?:;=]/)[0]!.matchAll(/[A-Za-z][A-Za-z' ]*[A-Za-z]/g)) if (!NAMES.includes(w[0])) found.push(w[0]);
      return ' ';
    });
  }
  for (const m of body.matchAll(/\s(aria-label|title|placeholder|alt|label|confirm|confirmTitle|data-label|data-confirm|data-confirm-title|data-confirm-button)="([^"]*[A-Za-z]{2,}[^"]*)"/g)) found.push(`${m[1]}="${m[2]}"`);
  const text = body.replace(/<script[\s\S]*?<\/script>/g, '').replace(/<[^>]*>/g, ' ');
  for (const m of text.matchAll(/[A-Za-z][A-Za-z' ]*[A-Za-z]/g)) if (!NAMES.includes(m[0])) found.push(m[0]);
  return found;
}

describe('translated screens', () => {
  it.each(SCREENS)('%s shows no text of its own', (file) => {
    expect(ownEnglish(readFileSync(file, 'utf8'))).toEqual([]);
  });

  it('the check finds English written straight into a template', () => {
    expect(ownEnglish('---\nconst x = 1;\n---\n<p>{t(\'a.b\')}</p>\n<button aria-label="Close it">Save now</button>')).toEqual(['aria-label="Close it"', 'Save now']);
  });

  it('and English inside expressions and the front matter, but not class lists, ids or keys', () => {
    const source = "---\nconst note = 'Not saved yet';\nconst css = 'text-sm muted font-medium';\n---\n<p class={css}>{ok ? <>Last saved by <b>{who}</b></> : `${n} fields need attention`} {t('a.b', { n: 2 })}</p>";
    expect(ownEnglish(source).sort()).toEqual(['Last saved by', 'Not saved yet', 'fields need attention']);
  });
});

describe('choosing the language', () => {
  it('takes the person\'s choice, else the best of the browser\'s that we speak, else English', () => {
    expect(languageFor('it', 'fr-FR,fr;q=0.9')).toBe('it');
    expect(languageFor(null, 'de-DE,de;q=0.9,es;q=0.8,fr;q=0.7')).toBe('es');
    expect(languageFor(null, 'fr;q=0.5, it;q=0.8')).toBe('it');
    expect(languageFor(null, 'de, *;q=0.1')).toBe('en');
    expect(languageFor('xx', undefined)).toBe('en');
    expect(fromAcceptLanguage('es;q=0')).toBeUndefined();
  });

  it('writes notification email in the target\'s language, plurals included', async () => {
    const { emailFor } = await import('../../src/core/notify-message.ts');
    const body = { schema: 'switchyard.event/v1', id: 'e1', type: 'schedule.missed', site: { title: 'Ops' }, page: { slug: 'p', title: 'Backup', url: 'https://x/page/p' }, button: { name: 'b', label: 'Nightly' }, data: { schedule: { missed: 1, at_least: false, first_missed: 'a', last_missed: 'a' } } };
    expect(emailFor(body, 'es').subject).toBe('[Ops] Backup › Nightly: la programación se saltó 1 momento');
    expect(emailFor({ ...body, data: { schedule: { missed: 3, at_least: true, first_missed: 'a', last_missed: 'b' } } }, 'fr').subject).toBe('[Ops] Backup › Nightly\u00a0: la planification a manqué au moins 3 moments');
    expect(emailFor(body, 'it').html).toContain('<html lang="it">');
    expect(emailFor(body).text).toContain('Backup › Nightly: the schedule missed 1 moment');
  });

  it('words a refusal in the reader\'s language, and keeps its English as the message for the API and the log', async () => {
    const { refusal } = await import('../../src/core/access.ts');
    const { requireAccess } = await import('../../src/server/auth/access.ts');
    const { Refused } = await import('../../src/server/refused.ts');
    const page = { slug: 'p', title: 'P', requires_login: true, parameters: [], buttons: [], access: { edit: 'admin' } } as unknown as Parameters<typeof refusal>[1];
    expect(refusal({ role: 'viewer' }, page, 'edit', translator('fr'))).toBe('Votre rôle (lecteur) ne permet pas de modifier ces valeurs\u00a0; c\'est réservé aux administrateurs.');
    expect(refusal(undefined, page, 'view', translator('es'))).toBe('Inicia sesión para ver esta página.');
    const refused = (() => { try { requireAccess({ role: 'editor' }, page, 'edit'); } catch (e) { return e; } })();
    expect(refused).toBeInstanceOf(Refused);
    expect((refused as InstanceType<typeof Refused>).message).toBe('Your role (editor) may not change these values; admins may.');
    expect((refused as InstanceType<typeof Refused>).say(translator('it'))).toBe('Il tuo ruolo (editor) non consente di cambiare questi valori; possono farlo gli amministratori.');
  });

  it('says a login refusal, a password problem and a bad file name in the reader\'s language, plurals included', async () => {
    const { passwordProblem } = await import('../../src/server/auth/passwords.ts');
    expect(passwordProblem('short')!(translator('fr'))).toBe('Le mot de passe doit compter au moins 8\u00a0caractères.');
    expect(passwordProblem('long enough')).toBeUndefined();
    expect(translator('es')('auth.throttled', { count: 1 })).toBe('Demasiados intentos fallidos. Vuelve a intentarlo dentro de 1 segundo.');
    expect(translator('it')('auth.throttled', { count: 30 })).toBe('Troppi tentativi falliti. Riprova tra 30 secondi.');
    const { exportFilename } = await import('../../src/core/export.ts');
    expect(exportFilename('.hidden', 'p', translator('it'))).toEqual({ error: 'Un nome di file non può iniziare o finire con un punto.' });
    expect(exportFilename('.hidden', 'p')).toEqual({ error: 'A file name cannot start or end with a dot.' });
  });

  it('says why a notification target cannot send in the admin\'s language, and records it in English', async () => {
    const { cannotSend } = await import('../../src/server/notify/sendable.ts');
    const target = { name: 'ops', events: [], webhook: { url: 'https://hooks.example.com/x', secret_env: 'HOOK_SECRET' } } as unknown as Parameters<typeof cannotSend>[0];
    const blocked = cannotSend(target, undefined, { webhookHosts: undefined }, {})!;
    expect(blocked.error).toBe('environment variable HOOK_SECRET is not set, so the body cannot be signed; nothing was sent');
    expect(blocked.say(translator('es'))).toBe('la variable de entorno HOOK_SECRET no está definida, así que no se puede firmar el cuerpo; no se envió nada');
  });

  it('puts a no-break space before French double punctuation and inside guillemets', () => {
    const fr = [...flat.fr!];
    expect(fr.filter(([, text]) => /\u00a0/.test(text)).length).toBeGreaterThan(50);
    expect(fr.filter(([, text]) => / [:;?!»]|« /.test(text)).map(([key]) => key)).toEqual([]);
  });

  it('writes sentences with markup for set:html with every value escaped, and the browser\'s words as inert JSON', async () => {
    const { richText, whenHtml } = await import('../../src/core/rich-text.ts');
    const { clientWords, clientWordsJson } = await import('../../src/core/client-words.ts');
    const at = whenHtml('2025-01-31T10:00:02.540Z');
    expect(richText(translator('es'), 'run.meta.byPerson', { user: '<b>x</b>' }, { at })).toBe('Iniciada por <strong>&lt;b&gt;x&lt;/b&gt;</strong> el <time datetime="2025-01-31T10:00:02.540Z" title="2025-01-31T10:00:02.540Z">2025-01-31 10:00:02 UTC</time>');
    expect(clientWords('it')).toMatchObject({ took: 'durata {{duration}}', states: { timed_out: 'scaduta' } });
    expect(JSON.parse(clientWordsJson('fr')).states.succeeded).toBe('réussie');
    expect(clientWordsJson('en')).not.toContain('<');
  });

  it('remembers plain words per language, and still fills placeholders and plurals', () => {
    for (let i = 0; i < 2; i++) {
      expect(translator('es')('page.save')).toBe('Guardar la configuración');
      expect(translator('fr')('page.save')).toBe('Enregistrer la configuration');
      expect(translator('it')('page.invalid.notSaved', { count: i + 1 })).toBe(i === 0 ? '1 campo richiede attenzione. Non è stato salvato nulla; quello che hai scritto resta qui sotto.' : '2 campi richiedono attenzione. Non è stato salvato nulla; quello che hai scritto resta qui sotto.');
    }
    expect(translator('es')).toBe(translator('es'));
  });

  it('translates with placeholders in each language', () => {
    expect(translator('fr')('account.tokens.revokeTitle', { name: 'nuit' })).toBe('Révoquer le jeton «\u00a0nuit\u00a0»\u00a0?');
    expect(translator('es')('shell.loggedInAs', { username: 'ana', role: 'lector' })).toBe('Sesión iniciada como ana (lector)');
  });
});
