/**
 * Parses and validates submitted form text against a page's parameters. The
 * same definition drives the form, the save and the export.
 */
import { DATE, DATETIME, DECIMAL, fullMatch, TEXT_MAX_LENGTH, type PageConfig, type Parameter, type Value, type Values } from './config/schema.ts';
import { isSet } from './values.ts';
import { ENGLISH, type Translate } from './i18n.ts';

// Messages are in the reader's language on pages; the JSON API and scripts get English.

/** The form field that carries the revision the form was loaded at (see the conflict rule in src/server/save.ts). */
export const REVISION_FIELD = '_revision';

/** Reads one submitted field; `undefined` when the field was not sent (an unchecked box). */
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

export function parseField(p: Parameter, raw: string | undefined, t: Translate = ENGLISH): FieldResult {
  const text = raw ?? '';
  const fail = (key: string, values: Record<string, unknown> = {}) => failed(t, key, values);
  if (p.type === 'boolean') {
    const word = text.trim().toLowerCase();
    if (TRUE_WORDS.has(word)) return { ok: true, value: true };
    if (FALSE_WORDS.has(word)) return { ok: true, value: false };
    return fail('onOff');
  }
  const empty = text.trim() === '';
  if (empty && p.required && p.type !== 'secret') return fail(p.type === 'multiselect' ? 'atLeastOne' : 'required');
  switch (p.type) {
    case 'text':
      return parseText(t, text, p.max_length, p.pattern, p.pattern_message);
    case 'textarea':
      return parseTextarea(t, text, p.max_length);
    case 'secret':
      // Empty keeps the saved secret (parseForm leaves it out); one line, like a token.
      return parseText(t, text, TEXT_MAX_LENGTH);
    case 'integer': {
      if (empty) return { ok: true, value: null };
      const whole = text.trim();
      if (!/^[+-]?\d+$/.test(whole)) return fail('wholeNumber');
      const n = Number(whole);
      if (!Number.isSafeInteger(n)) return fail('tooLarge');
      return inRange(t, n, p.min, p.max);
    }
    case 'number':
      return empty ? { ok: true, value: null } : parseNumber(t, text.trim(), p);
    case 'select': {
      if (empty) return { ok: true, value: null };
      // Choices listed by a run (options_from) that has not happened yet.
      if (p.options.length === 0) return fail('noChoicesYet', { file: p.options_from?.file ?? '' });
      if (!p.options.includes(text)) return fail('oneOf', { options: p.options.join(', ') });
      return { ok: true, value: text };
    }
    case 'multiselect':
      return parseChoices(t, text, p.options);
    case 'date':
      if (empty) return { ok: true, value: null };
      return validDate(text.trim()) ? { ok: true, value: text.trim() } : fail('date');
    case 'datetime': {
      if (empty) return { ok: true, value: null };
      const when = text.trim();
      return DATETIME.test(when) && validDate(when.slice(0, 10)) && validTime(when.slice(11)) ? { ok: true, value: when } : fail('datetime');
    }
    case 'file':
      // A file never comes as form text (src/core/files.ts reads it); only "none given" does.
      return { ok: true, value: null };
  }
}

const failed = (t: Translate, key: string, values: Record<string, unknown> = {}): FieldResult => ({ ok: false, error: t(`fields.error.${key}`, values) });

function parseText(t: Translate, text: string, maxLength = TEXT_MAX_LENGTH, pattern?: string, patternMessage?: string): FieldResult {
  const length = [...text].length;
  if (length > maxLength) return failed(t, 'maxLength', { max: maxLength, length });
  if (/[\r\n]/.test(text)) return failed(t, 'singleLine');
  if (CONTROL.test(text)) return failed(t, 'control');
  // The schema bounds both the pattern and max_length, so this test cannot run away.
  // The config's own pattern_message is the page author's, in the language they wrote it in.
  if (pattern !== undefined && text !== '' && !fullMatch(pattern, text)) return patternMessage !== undefined ? { ok: false, error: patternMessage } : failed(t, 'pattern', { pattern });
  return { ok: true, value: text };
}

/** Several lines: browsers send a textarea's line breaks as CRLF; they are kept as LF. */
function parseTextarea(t: Translate, raw: string, maxLength = TEXT_MAX_LENGTH): FieldResult {
  const text = raw.replace(/\r\n?/g, '\n');
  const length = [...text].length;
  if (length > maxLength) return failed(t, 'maxLength', { max: maxLength, length });
  if (/[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/.test(text)) return failed(t, 'controlMultiline');
  return { ok: true, value: text };
}

function inRange(t: Translate, n: number, min?: number, max?: number): FieldResult {
  if (min !== undefined && n < min) return failed(t, 'min', { min });
  if (max !== undefined && n > max) return failed(t, 'max', { max });
  return { ok: true, value: n };
}

function parseNumber(t: Translate, text: string, p: { min?: number; max?: number; step?: number }): FieldResult {
  if (!DECIMAL.test(text)) return failed(t, 'decimal');
  const n = Number(text);
  if (!Number.isFinite(n) || Math.abs(n) > Number.MAX_SAFE_INTEGER) return failed(t, 'tooLarge');
  const ranged = inRange(t, n, p.min, p.max);
  if (!ranged.ok || p.step === undefined) return ranged;
  // Counted from min (or 0) as the HTML step attribute does; the tolerance absorbs binary fractions (0.1 + 0.2).
  const steps = (n - (p.min ?? 0)) / p.step;
  if (Math.abs(steps - Math.round(steps)) > 1e-9) return failed(t, 'step', { min: p.min ?? 0, step: p.step });
  return ranged;
}

/** Chosen options, one per line (a form sends one entry per ticked box; see fieldText), kept in the options' order. */
function parseChoices(t: Translate, text: string, options: string[]): FieldResult {
  const chosen = new Set(text.split('\n').map((o) => o.replace(/\r$/, '')).filter((o) => o !== ''));
  const unknown = [...chosen].filter((o) => !options.includes(o));
  if (unknown.length) return failed(t, 'onlyFrom', { options: options.join(', '), unknown: unknown.join(', ') });
  return { ok: true, value: options.filter((o) => chosen.has(o)) };
}

function validDate(text: string): boolean {
  if (!DATE.test(text)) return false;
  const [y, m, d] = text.split('-').map(Number) as [number, number, number];
  const day = new Date(Date.UTC(y, m - 1, d));
  return day.getUTCFullYear() === y && day.getUTCMonth() === m - 1 && day.getUTCDate() === d;
}

function validTime(text: string): boolean {
  const [h, min, s] = text.slice(0, 8).split(':').map(Number) as [number, number, number | undefined];
  const offset = /([+-])(\d{2}):(\d{2})$/.exec(text);
  return h <= 23 && min <= 59 && (s === undefined || Number.isNaN(s) || s <= 59) && (!offset || (Number(offset[2]) <= 23 && Number(offset[3]) <= 59));
}

/**
 * Whether a field shows, given the page's values: every `visible_when`
 * condition holds (a list holds a value when it contains it), and the fields
 * it depends on show too. The schema refuses cycles.
 */
export function isVisible(page: PageConfig, p: Parameter, values: Values): boolean {
  return Object.entries(p.visible_when ?? {}).every(([name, wanted]) => {
    const other = page.parameters.find((q) => q.name === name);
    const v = values[name];
    return !!other && (Array.isArray(v) ? v.includes(String(wanted)) : v === wanted) && isVisible(page, other, values);
  });
}

/**
 * The box beside a saved secret that clears it (an empty field keeps it). Its
 * name starts with "_", which no parameter's may, so it is never a value.
 */
export const clearSecretField = (name: string) => `_clear.${name}`;

/**
 * The form's values. A secret left empty is left out (the saved one stays),
 * unless its "clear" box is ticked;
 * a required one that was never set is refused, given `current`. A hidden
 * field (isVisible) is not required and its problems block nothing: a valid
 * value it holds is taken, an invalid one dropped, so the saved value stays.
 */
export function parseForm(page: PageConfig, get: FieldSource, current?: Values, t: Translate = ENGLISH): FormResult {
  const result: FormResult = { values: {}, errors: {}, raw: {} };
  for (const p of page.parameters) {
    const raw = get(p.name);
    const parsed = parseField(p, raw, t);
    result.raw[p.name] = raw ?? '';
    if (!parsed.ok) result.errors[p.name] = parsed.error;
    else if (p.type === 'secret' && parsed.value === '') {
      if (get(clearSecretField(p.name)) !== undefined) {
        // Ticked "clear": a new value typed beside it would have won (the branch above).
        if (p.required) result.errors[p.name] = t('fields.error.requiredSecretClear');
        else result.values[p.name] = '';
      } else if (p.required && current && !isSet(current[p.name])) result.errors[p.name] = t('fields.error.required');
    } else result.values[p.name] = parsed.value;
  }
  const seen = { ...current, ...result.values };
  for (const p of page.parameters) {
    if (p.visible_when && !isVisible(page, p, seen)) delete result.errors[p.name];
  }
  return result;
}

export function isValid(form: FormResult): boolean {
  return Object.keys(form.errors).length === 0;
}

/** The fields hidden by visible_when, given the form's text (as PageView.fields holds it). */
export function hiddenFields(page: PageConfig, fields: Record<string, string | boolean>): Set<string> {
  const values: Values = {};
  for (const p of page.parameters) {
    const f = fields[p.name];
    const parsed = p.type === 'secret' ? undefined : parseField(p, typeof f === 'boolean' ? (f ? 'on' : '') : f);
    if (parsed?.ok) values[p.name] = parsed.value;
  }
  return new Set(page.parameters.filter((p) => p.visible_when && !isVisible(page, p, values)).map((p) => p.name));
}

/**
 * The form's text (as PageView.fields holds it) as the entries a browser would
 * post: a checked box as "on", an unchecked one not at all, a multiselect as
 * one entry per ticked option, and a secret never (an empty secret keeps the
 * saved one, and no copy of the form may carry it).
 */
export function formEntries(page: PageConfig, fields: Record<string, string | boolean>): [string, string][] {
  const typeOf = new Map(page.parameters.map((p) => [p.name, p.type]));
  return Object.entries(fields).flatMap(([name, v]): [string, string][] => {
    if (v === false || typeOf.get(name) === 'secret') return [];
    if (v === true) return [[name, 'on']];
    return typeOf.get(name) === 'multiselect' ? v.split('\n').filter(Boolean).map((o) => [name, o]) : [[name, v]];
  });
}
