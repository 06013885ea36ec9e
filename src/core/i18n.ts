/**
 * The interface's words in four languages, with i18next: catalogues in
 * src/i18n/<language>.json, one fixed translator per request. i18next rather
 * than Astro's i18n routing because the language is a person's setting
 * (stored with their account, the browser's language until they choose),
 * not part of the address: links, redirects and the API stay the same in
 * every language. Plurals come from Intl.PluralRules through i18next; dates
 * and numbers from Intl in the same locale.
 */
import i18next, { type TFunction } from 'i18next';
import { DEFAULT_LANGUAGE, isLanguage, LANGUAGES, type Language } from './languages.ts';
import en from '../i18n/en.json' with { type: 'json' };
import es from '../i18n/es.json' with { type: 'json' };
import it from '../i18n/it.json' with { type: 'json' };
import fr from '../i18n/fr.json' with { type: 'json' };

export const CATALOGUES: Record<Language, Record<string, unknown>> = { en, es, it, fr };

const instance = i18next.createInstance();
void instance.init({
  resources: Object.fromEntries(LANGUAGES.map((l) => [l, { translation: CATALOGUES[l] }])),
  lng: DEFAULT_LANGUAGE,
  fallbackLng: DEFAULT_LANGUAGE,
  initAsync: false,
  // Astro escapes what it prints; escaping here too would show "&amp;".
  interpolation: { escapeValue: false },
  returnNull: false,
});

export type Translate = TFunction;

const fixed = new Map<Language, Translate>();

/**
 * The translator for one language, made once. A key asked with no values
 * (most of a page's words) is looked up in i18next once and then kept: the
 * catalogues never change while the process runs, and a page asks for dozens.
 */
export function translator(lang: Language): Translate {
  let t = fixed.get(lang);
  if (!t) fixed.set(lang, (t = keepingPlainKeys(instance.getFixedT(lang))));
  return t;
}

function keepingPlainKeys(t: Translate): Translate {
  const kept = new Map<string, string>();
  const call = t as unknown as (...args: unknown[]) => string;
  const keeping = (key: unknown, ...rest: unknown[]): string => {
    if (rest.length > 0 || typeof key !== 'string') return call(key, ...rest);
    let text = kept.get(key);
    if (text === undefined) kept.set(key, (text = call(key)));
    return text;
  };
  return keeping as unknown as Translate;
}

/** The default language's translator: for the JSON API, the CLI and the log, and as every `t` parameter's default. */
export const ENGLISH: Translate = translator(DEFAULT_LANGUAGE);

/** The best of our languages for an Accept-Language header, or undefined when none fits. */
export function fromAcceptLanguage(header: string | null | undefined): Language | undefined {
  const wanted = (header ?? '')
    .split(',')
    .map((part, i) => {
      const [tag, ...params] = part.trim().split(';');
      const q = Number(params.find((p) => p.trim().startsWith('q='))?.trim().slice(2) ?? 1);
      return { base: tag!.trim().toLowerCase().split('-')[0]!, q: Number.isFinite(q) ? q : 0, i };
    })
    .filter((w) => w.base && w.q > 0)
    .sort((a, b) => b.q - a.q || a.i - b.i);
  return wanted.map((w) => w.base).find(isLanguage);
}

/** A person's language: what they chose, else their browser's, else the default. */
export function languageFor(chosen: string | null | undefined, acceptLanguage: string | null | undefined): Language {
  return isLanguage(chosen) ? chosen : (fromAcceptLanguage(acceptLanguage) ?? DEFAULT_LANGUAGE);
}

/** The language's own name, for the language picker. */
export const LANGUAGE_NAMES: Record<Language, string> = { en: 'English', es: 'Español', it: 'Italiano', fr: 'Français' };
