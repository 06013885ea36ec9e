/**
 * Reads a YAML file of values (such as an export) against a page's
 * parameters: what fits fills the form for review, everything else is named.
 */
import { isScalar, parseDocument } from 'yaml';
import type { PageConfig, Parameter, Value, Values } from './config/schema.ts';
import { parseField } from './fields.ts';
import { describeValue } from './config/load.ts';
import { ENGLISH, type Translate } from './i18n.ts';

// Problems are worded for the reader of the preview; the JSON API and run inputs keep English.

export const IMPORT_MAX_BYTES = 256 * 1024;

export interface ImportResult {
  values: Values;
  /** One sentence per problem, each naming the key. */
  problems: string[];
  /** Parameters the file did not mention; they keep their current values. */
  missing: string[];
}

export class ImportError extends Error {}

/** What a parameter's type takes, as a key under import.expected (a textarea and a secret take text). */
const expected = (t: Translate, type: Parameter['type']) => t(`import.expected.${type === 'textarea' || type === 'secret' ? 'text' : type}`);

/** A value as found in a file: strings, numbers and null as written; what has no single spelling in words. */
function described(t: Translate, v: unknown): string {
  if (Array.isArray(v)) return t('import.got.list');
  if (v !== null && typeof v === 'object') return t('import.got.mapping');
  if (typeof v === 'number' && !Number.isInteger(v)) return t('import.got.decimal', { value: v });
  return describeValue(v);
}

/** What null stands for in a file: empty, where the parameter may be empty. */
function fromNull(p: Parameter): { value: Value } | undefined {
  switch (p.type) {
    case 'boolean':
      return undefined;
    case 'integer':
    case 'number':
    case 'select':
    case 'date':
    case 'datetime':
      return { value: null };
    default:
      if (p.required) return undefined;
      return { value: p.type === 'multiselect' ? [] : p.type === 'secret' ? null : '' };
  }
}

function fitsType(p: Parameter, raw: unknown): boolean {
  switch (p.type) {
    case 'integer':
      return typeof raw === 'number' && Number.isInteger(raw);
    case 'number':
      return typeof raw === 'number' && Number.isFinite(raw);
    case 'boolean':
      return typeof raw === 'boolean';
    case 'multiselect':
      // An option with a line break cannot exist, and would read as two in the form's text.
      return Array.isArray(raw) && raw.every((o) => typeof o === 'string' && !o.includes('\n'));
    default:
      return typeof raw === 'string';
  }
}

/** The form text a typed value stands for, so the form's rules apply. */
function asFormText(p: Parameter, raw: unknown): string {
  if (p.type === 'boolean') return raw ? 'on' : '';
  if (Array.isArray(raw)) return raw.join('\n');
  return String(raw);
}

/**
 * Checks a typed value (from YAML or JSON) against a parameter, with the
 * form's rules. `written` is how the value was written in a file, where that
 * differs from what it reads as (`1.0` is the number 1).
 */
export function checkValue(p: Parameter, raw: unknown, written?: string, t: Translate = ENGLISH): { value: Value } | { problem: string } {
  const got = written !== undefined && typeof raw !== 'string' && written !== String(raw) ? written : described(t, raw);
  const problem = (key: string, values: Record<string, unknown> = {}) => ({ problem: t(`import.problem.${key}`, { name: p.name, ...values }) });
  if (raw === null) return fromNull(p) ?? problem('expected', { expected: expected(t, p.type), got: 'null' });
  if (!fitsType(p, raw)) {
    const quote = p.type !== 'integer' && p.type !== 'number' && p.type !== 'boolean' && p.type !== 'multiselect' && (typeof raw === 'number' || typeof raw === 'boolean');
    return problem(quote ? 'quotes' : 'expected', { expected: expected(t, p.type), got });
  }
  // The form keeps a secret left empty; here "" clears it, which a required one must not be.
  if (p.type === 'secret' && p.required && raw === '') return problem('requiredSecret');
  // The same rules as the form: required, length, range, options, pattern.
  const parsed = parseField(p, asFormText(p, raw), t);
  if (parsed.ok && p.type === 'multiselect' && new Set(raw as string[]).size !== (raw as string[]).length) return problem('twice', { got: (raw as string[]).join(', ') });
  return parsed.ok ? { value: parsed.value } : problem('invalid', { error: parsed.error.replace(/\.$/, ''), got: p.type === 'secret' ? t('import.got.secret') : got });
}

export function importValues(page: PageConfig, text: string, t: Translate = ENGLISH): ImportResult {
  if (Buffer.byteLength(text) > IMPORT_MAX_BYTES) throw new ImportError(t('import.error.tooLarge', { size: IMPORT_MAX_BYTES / 1024 }));
  const doc = parseDocument(text, { uniqueKeys: true, prettyErrors: false });
  const error = doc.errors[0] ?? doc.warnings[0];
  if (error) throw new ImportError(t('import.error.notYaml', { message: error.message.split('\n')[0] }));
  let data: unknown;
  try {
    data = doc.toJS({ maxAliasCount: 10 });
  } catch (e) {
    throw new ImportError(t('import.error.unreadable', { message: (e as Error).message }));
  }
  if (data === null || typeof data !== 'object' || Array.isArray(data)) {
    throw new ImportError(t('import.error.notMapping', { got: described(t, data) }));
  }
  const result: ImportResult = { values: {}, problems: [], missing: [] };
  const entries = data as Record<string, unknown>;
  for (const key of Object.keys(entries)) {
    if (!page.parameters.some((p) => p.name === key)) result.problems.push(t('import.problem.notParameter', { name: key, names: page.parameters.map((p) => p.name).join(', ') }));
  }
  for (const p of page.parameters) {
    if (!(p.name in entries)) {
      // Exports never hold secrets, so a secret is always missing: it keeps its value.
      result.missing.push(p.name);
      continue;
    }
    if (p.type === 'secret') {
      result.problems.push(t('import.problem.secret', { name: p.name }));
      continue;
    }
    const node = doc.get(p.name, true);
    const c = checkValue(p, entries[p.name], isScalar(node) ? node.source : undefined, t);
    if ('value' in c) result.values[p.name] = c.value;
    else result.problems.push(c.problem);
  }
  return result;
}
