/**
 * A button's `confirm:` text may name its inputs: `Restore {archive} into
 * {target}?`. Each `{name}` (a name as inputs are named) is filled with the
 * value the person entered before the question is asked; braces around
 * anything else are plain text. The config is refused when a placeholder
 * names no input, so a typo never reaches the person as a literal `{archve}`.
 * The browser fills the dialog (src/client/app.ts, with the same pattern);
 * the no-JS review page is filled on the server with `fillConfirm`.
 */
import type { Value } from './config/schema.ts';

/**
 * The form field that says the person has confirmed: set by the browser's
 * dialog, or sent by the no-JS review page. Not an identifier, so no input
 * can take its name.
 */
export const CONFIRMED_FIELD = '_confirmed';

/** `{name}`: the same identifier rule as an input's name. Shared with the browser's copy in src/client. */
export const PLACEHOLDER = /\{([a-z][a-z0-9_]{0,63})\}/g;

/** The input names a confirm text uses, in order of first use. */
export function placeholders(text: string): string[] {
  return [...new Set([...text.matchAll(PLACEHOLDER)].map((m) => m[1]!))];
}

/** A value as the question shows it: a list comma-separated, no value as empty. */
export function valueText(value: Value | undefined): string {
  if (value === null || value === undefined) return '';
  if (Array.isArray(value)) return value.join(', ');
  // A file input: its name.
  return typeof value === 'object' ? value.name : String(value);
}

/**
 * The text with each `{name}` replaced by its value. It stays plain text:
 * whoever shows it escapes it (Astro does, the dialog sets textContent).
 */
export function fillConfirm(text: string, values: Record<string, Value | undefined>): string {
  return text.replace(PLACEHOLDER, (whole, name: string) => (name in values ? valueText(values[name]) : whole));
}
