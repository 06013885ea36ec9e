/**
 * How a parameter's value moves between its typed form, the text kept in the
 * database, and the text shown in a form field. One place, so the form, the
 * save, the history and the export can never disagree.
 */
import { DATE, DATETIME, type PageConfig, type Parameter, type Value, type Values } from './config/schema.ts';
import { ENGLISH, type Translate } from './i18n.ts';

/** The value a parameter has before anyone saved it. */
export function defaultValue(p: Parameter): Value {
  switch (p.type) {
    case 'text':
    case 'textarea':
      return p.default ?? '';
    case 'boolean':
      return p.default;
    case 'multiselect':
      return p.default ?? [];
    case 'secret':
    case 'file':
      return null;
    default:
      return p.default ?? null;
  }
}

export function defaultValues(page: PageConfig): Values {
  return Object.fromEntries(page.parameters.map((p) => [p.name, defaultValue(p)]));
}

/** Database text for a typed value (`null` stays NULL; a list is kept as a JSON array). */
export function encodeValue(value: Value): string | null {
  if (value === null) return null;
  if (Array.isArray(value)) return JSON.stringify(value);
  return String(value);
}

/** A value as the database keeps it: its text, or the text of a value saved as a secret. */
export type StoredText = string | null | { secret: string | null };

/**
 * Typed value from database text, or `undefined` when the stored text no
 * longer fits the parameter (its type or options changed since the save).
 */
export function decodeValue(p: Parameter, kept: StoredText): Value | undefined {
  // A value saved as a secret is only ever a secret's: under any other type it does not fit.
  if (kept !== null && typeof kept === 'object') return p.type === 'secret' ? kept.secret : undefined;
  const stored = kept;
  if (stored === null) return p.type === 'text' || p.type === 'textarea' || p.type === 'boolean' || p.type === 'multiselect' ? undefined : null;
  switch (p.type) {
    case 'text':
    case 'textarea':
    case 'secret':
      return stored;
    case 'boolean':
      return stored === 'true' ? true : stored === 'false' ? false : undefined;
    case 'integer':
      return /^-?\d+$/.test(stored) && Number.isSafeInteger(Number(stored)) ? Number(stored) : undefined;
    case 'number':
      return stored.trim() !== '' && Number.isFinite(Number(stored)) ? Number(stored) : undefined;
    case 'select':
      return p.options.includes(stored) ? stored : undefined;
    case 'multiselect':
      return decodeList(stored, p.options);
    case 'date':
      return DATE.test(stored) ? stored : undefined;
    case 'datetime':
      return DATETIME.test(stored) ? stored : undefined;
  }
}

function decodeList(stored: string, options: string[]): string[] | undefined {
  try {
    const list: unknown = JSON.parse(stored);
    return Array.isArray(list) && list.every((o) => typeof o === 'string' && options.includes(o)) ? (list as string[]) : undefined;
  } catch {
    return undefined;
  }
}

/** Current values: what was stored, where it still fits the parameter, else the default. */
export function resolveValues(page: PageConfig, stored: ReadonlyMap<string, StoredText>): Values {
  return Object.fromEntries(
    page.parameters.map((p) => {
      const decoded = stored.has(p.name) ? decodeValue(p, stored.get(p.name)!) : undefined;
      return [p.name, decoded === undefined ? defaultValue(p) : decoded];
    }),
  );
}

/** Whether two values are the same (lists item by item). */
export function sameValue(a: Value | undefined, b: Value | undefined): boolean {
  if (Array.isArray(a) && Array.isArray(b)) return a.length === b.length && a.every((x, i) => x === b[i]);
  return a === b;
}

/** The text a form field shows for a value; a list one option per line (see parseField). */
export function formText(value: Value): string {
  if (Array.isArray(value)) return value.join('\n');
  return value === null ? '' : String(value);
}

// Commit messages and notifications read values in English; pages pass their reader's `t`.

/** A value as people read it in history and diffs. */
export function displayValue(value: Value | undefined, t: Translate = ENGLISH): string {
  if (value === undefined) return t('fields.value.notSet');
  if (Array.isArray(value)) return value.length === 0 ? t('fields.value.none') : value.join(', ');
  if (value === null || value === '') return t('fields.value.empty');
  // A file a run was given: its name, size and the start of its SHA-256 (the run's JSON has all of it).
  if (typeof value === 'object') return `${value.name} (${value.size} B, sha256 ${value.sha256.slice(0, 12)}…)`;
  return String(value);
}

/*
 * Secrets. Their value reaches only the database and the scripts of a run;
 * everything people or other systems read (forms, history, exports, Git,
 * the API, notifications, a run's recorded parameters) gets one of these.
 */

/** What a set secret reads as wherever its value must not appear. */
export const SECRET_SET = '(set)';

export function isSet(value: Value | undefined): boolean {
  return value !== undefined && value !== null && value !== '';
}

/** `values` with every secret replaced by SECRET_SET, or null when it is not set. */
export function maskSecrets(page: PageConfig, values: Values): Values {
  const masked: Values = { ...values };
  for (const p of page.parameters) if (p.type === 'secret' && p.name in masked) masked[p.name] = isSet(masked[p.name]) ? SECRET_SET : null;
  return masked;
}

/** `values` without the secrets: for files that may be read or imported elsewhere (exports, Git, latest values). */
export function withoutSecrets(page: PageConfig, values: Values): Values {
  const secret = new Set(page.parameters.filter((p) => p.type === 'secret').map((p) => p.name));
  return Object.fromEntries(Object.entries(values).filter(([name]) => !secret.has(name)));
}

/** Only the secrets of `values` (what a run's script gets beside its recorded, masked parameters). */
export function secretsOf(page: PageConfig, values: Values): Values {
  return Object.fromEntries(page.parameters.filter((p) => p.type === 'secret' && p.name in values).map((p) => [p.name, values[p.name] ?? null]));
}
