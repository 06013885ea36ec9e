/**
 * Catalogue sentences that carry markup (`<strong>`, `<code>`) and a moment
 * (`<time>`) inside them, for `set:html`, which prints as is (Astro escapes
 * everything else it prints). A whole sentence per key rather than pieces
 * around a component, so each language puts its words in its own order.
 * Every value is escaped here: only the `<time>` that whenHtml makes goes in
 * as markup, and the catalogue text itself is ours.
 */
import type { Translate } from './i18n.ts';
import { utcText } from './time.ts';

const ENTITIES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };
export const escapeHtml = (s: string): string => s.replace(/[&<>"']/g, (c) => ENTITIES[c]!);

/** A moment as When.astro shows it: UTC text, the exact time for machines and tooltips. */
export function whenHtml(at: string): string {
  return `<time datetime="${escapeHtml(at)}" title="${escapeHtml(at)}">${escapeHtml(utcText(at))}</time>`;
}

/**
 * `key` translated with `text` values escaped (numbers stay numbers, so that
 * `count` picks the plural) and `html` values (made by whenHtml) kept as markup.
 */
export function richText(t: Translate, key: string, text: Record<string, string | number>, html: Record<string, string> = {}): string {
  const escaped = Object.fromEntries(Object.entries(text).map(([k, v]) => [k, typeof v === 'number' ? v : escapeHtml(v)]));
  return t(key, { ...escaped, ...html });
}
