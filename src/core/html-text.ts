/**
 * Catalogue text that carries markup (`<strong>`, `<code>`), for `set:html`.
 * Astro escapes what it prints, but set:html prints as is: so every value put
 * into such a text is escaped here first, and a name or an error message can
 * never become markup.
 */
import type { Translate } from './i18n.ts';

const ENTITIES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

export const escapeHtml = (s: string) => s.replace(/[&<>"']/g, (c) => ENTITIES[c]!);

/** `t(key, values)` with each value escaped; numbers and `count` (for plurals) stay numbers. */
export function htmlText(t: Translate, key: string, values: Record<string, string | number>): string {
  const safe = Object.fromEntries(Object.entries(values).map(([k, v]) => [k, typeof v === 'number' ? v : escapeHtml(v)]));
  return t(key, safe);
}
