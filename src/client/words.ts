/**
 * The page's words for what the browser writes itself, from the JSON the
 * layout prints (see src/core/client-words.ts): read once, and without
 * bundling i18next or the catalogues. Dates and numbers follow the page's
 * language (<html lang>), not the browser's own.
 */
import type { ClientWords } from '../core/client-words.ts';

export const CLIENT_WORDS_ID = 'client-words';

let cached: ClientWords | undefined;

export function words(): ClientWords {
  if (!cached) {
    const el = document.getElementById(CLIENT_WORDS_ID);
    cached = JSON.parse(el?.textContent || '{"states":{}}') as ClientWords;
  }
  return cached;
}

/** The page's language, for Intl. */
export const pageLang = (): string => document.documentElement.lang || 'en';

/** Fills `{{name}}` placeholders, as i18next does on the server. */
export function fill(text: string, values: Record<string, string>): string {
  return text.replace(/\{\{\s*(\w+)\s*\}\}/g, (_, name: string) => values[name] ?? '');
}
