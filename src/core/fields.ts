/**
 * Parses and validates submitted form text against a page's parameters. The
 * same definition drives the form, the save and the export.
 */
import { TEXT_MAX_LENGTH, type PageConfig, type Parameter, type Value, type Values } from './config/schema.ts';

/** Reads one submitted field; `undefined` when the field was not sent (an unchecked box). */
/** The form field that carries the revision the form was loaded at (see the conflict rule in src/server/save.ts). */
export const REVISION_FIELD = '_revision';

export type FieldSource = (name: string) => string | undefined;

export type FieldResult = { ok: true; value: Value } | { ok: false; error: string };

export interface FormResult {
  /** Typed values of every field that parsed. */
  values: Values;
  /** Error per parameter name; empty when the form is valid. */
  errors: Record<string, string>;
  /** What was typed, to re-render the form as the person left it. */
  raw: Record<string, string>;
}

// Every C0 and C1 control character, TAB included: a value is one line, and a tab in it is
// invisible in the form and in the YAML export. (Line breaks get their own message first.)
const CONTROL = /[\u0000-\u001f\u007f-\u009f]/;
const TRUE_WORDS = new Set(['on', 'true', '1', 'yes']);
const FALSE_WORDS = new Set(['', 'off', 'false', '0', 'no']);

export function parseField(p: Parameter, raw: string | undefined): FieldResult {
  const text = raw ?? '';
  const fail = (error: string): FieldResult => ({ ok: false, error });
  if (p.type === 'boolean') {
    const word = text.trim().toLowerCase();
    if (TRUE_WORDS.has(word)) return { ok: true, value: true };
    if (FALSE_WORDS.has(word)) return { ok: true, value: false };
    return fail('Choose on or off.');
  }
  const empty = text.trim() === '';
  if (empty && p.required) return fail('This field is required.');
  switch (p.type) {
    case 'text': {
      const max = p.max_length ?? TEXT_MAX_LENGTH;
      if ([...text].length > max) return fail(`At most ${max} characters (this has ${[...text].length}).`);
      if (/[\r\n]/.test(text)) return fail('Must be a single line.');
      if (CONTROL.test(text)) return fail('Must not contain control characters.');
      return { ok: true, value: text };
    }
    case 'integer': {
      if (empty) return { ok: true, value: null };
      const t = text.trim();
      if (!/^[+-]?\d+$/.test(t)) return fail('Enter a whole number, such as 42.');
      const n = Number(t);
      if (!Number.isSafeInteger(n)) return fail('This number is too large.');
      if (p.min !== undefined && n < p.min) return fail(`Must be at least ${p.min}.`);
      if (p.max !== undefined && n > p.max) return fail(`Must be at most ${p.max}.`);
      return { ok: true, value: n };
    }
    case 'select': {
      if (empty) return { ok: true, value: null };
      if (!p.options.includes(text)) return fail(`Choose one of: ${p.options.join(', ')}.`);
      return { ok: true, value: text };
    }
  }
}

export function parseForm(page: PageConfig, get: FieldSource): FormResult {
  const result: FormResult = { values: {}, errors: {}, raw: {} };
  for (const p of page.parameters) {
    const raw = get(p.name);
    const parsed = parseField(p, raw);
    result.raw[p.name] = raw ?? '';
    if (parsed.ok) result.values[p.name] = parsed.value;
    else result.errors[p.name] = parsed.error;
  }
  return result;
}

export function isValid(form: FormResult): boolean {
  return Object.keys(form.errors).length === 0;
}
