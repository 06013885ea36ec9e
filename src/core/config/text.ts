/**
 * Config text people read (`title`, `label`, `description`, `help_text`,
 * `confirm`, `docs`) may be one string or a map of language → string, the
 * default language required. The schema keeps a map as a `Translations`
 * while parsing; `localize` then gives the config in one language, with
 * plain strings everywhere, so the rest of the code never sees a map.
 */
import * as z from 'zod';
import { DEFAULT_LANGUAGE, LANGUAGES, type Language } from '../languages.ts';

/** One text in several languages; only the schema makes these, only `localize` reads them. */
export class Translations {
  /** Always holds the default language (the schema requires it). */
  readonly byLanguage: Partial<Record<Language, string>>;
  constructor(byLanguage: Partial<Record<Language, string>>) {
    this.byLanguage = byLanguage;
  }
  in(lang: Language): string {
    return this.byLanguage[lang] ?? this.byLanguage[DEFAULT_LANGUAGE]!;
  }
}

/** A map of language → text, each checked by `inner`: known languages only, the default one required. */
export function byLanguage<T extends z.ZodType<string>>(inner: T) {
  return z.record(z.string(), inner).superRefine((m, ctx) => {
    for (const k of Object.keys(m)) {
      if (!(LANGUAGES as readonly string[]).includes(k)) ctx.addIssue({ code: 'custom', path: [k], message: `unknown language "${k}"; languages are ${LANGUAGES.join(', ')}` });
    }
    if (!(DEFAULT_LANGUAGE in m)) ctx.addIssue({ code: 'custom', message: `needs the default language "${DEFAULT_LANGUAGE}" (the text shown when no other fits)` });
  });
}

/**
 * A text in one language or several. Typed as a string: `parseConfig`
 * localizes before anyone else reads the config.
 */
export function translatable<T extends z.ZodType<string>>(inner: T): z.ZodType<string, string | Record<string, string>> {
  return z
    .union([inner, byLanguage(inner)])
    .transform((v) => (typeof v === 'string' ? v : (new Translations(v) as unknown as string))) as unknown as z.ZodType<string, string | Record<string, string>>;
}

/** Whether anything in a parsed config is written in more than one language. */
export function hasTranslations(value: unknown): boolean {
  if (value instanceof Translations) return true;
  if (Array.isArray(value)) return value.some(hasTranslations);
  if (value && typeof value === 'object') return Object.values(value).some(hasTranslations);
  return false;
}

/**
 * The parsed config in one language: each `Translations` replaced by its text
 * in `lang` (the default language's where it has none). Parts without
 * translations are shared, not copied.
 */
export function localize<T>(value: T, lang: Language): T {
  if (value instanceof Translations) return value.in(lang) as T;
  if (Array.isArray(value)) {
    const out = value.map((v) => localize(v, lang));
    return (out.every((v, i) => v === value[i]) ? value : out) as T;
  }
  if (value && typeof value === 'object' && Object.getPrototypeOf(value) === Object.prototype) {
    let changed = false;
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) {
      out[k] = localize(v, lang);
      changed ||= out[k] !== v;
    }
    return (changed ? out : value) as T;
  }
  return value;
}
