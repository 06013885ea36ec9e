/**
 * Reads a YAML file of values (such as an export) against a page's
 * parameters: what fits fills the form for review, everything else is named.
 */
import { isScalar, parseDocument } from 'yaml';
import type { PageConfig, Parameter, Value, Values } from './config/schema.ts';
import { parseField } from './fields.ts';
import { describeValue } from './config/load.ts';

export const IMPORT_MAX_BYTES = 256 * 1024;

export interface ImportResult {
  values: Values;
  /** One sentence per problem, each naming the key. */
  problems: string[];
  /** Parameters the file did not mention; they keep their current values. */
  missing: string[];
}

export class ImportError extends Error {}

const TYPE_WORD: Record<Parameter['type'], string> = { text: 'text', integer: 'an integer', boolean: 'true or false', select: 'one of the options' };

/**
 * Checks a typed value (from YAML or JSON) against a parameter, with the
 * form's rules. `written` is how the value was written in a file, where that
 * differs from what it reads as (`1.0` is the number 1).
 */
export function checkValue(p: Parameter, raw: unknown, written?: string): { value: Value } | { problem: string } {
  const got = written !== undefined && typeof raw !== 'string' && written !== String(raw) ? written : describeValue(raw);
  if (raw === null) return p.type === 'integer' || p.type === 'select' || (p.type === 'text' && !p.required) ? { value: p.type === 'text' ? '' : null } : { problem: `${p.name}: expected ${TYPE_WORD[p.type]}, got null` };
  const ok =
    (p.type === 'text' && typeof raw === 'string') ||
    (p.type === 'integer' && typeof raw === 'number' && Number.isInteger(raw)) ||
    (p.type === 'boolean' && typeof raw === 'boolean') ||
    (p.type === 'select' && typeof raw === 'string');
  if (!ok) {
    const hint = p.type === 'text' && (typeof raw === 'number' || typeof raw === 'boolean') ? ' (put it in quotes)' : '';
    return { problem: `${p.name}: expected ${TYPE_WORD[p.type]}, got ${got}${hint}` };
  }
  // The same rules as the form: required, length, range, options.
  const parsed = parseField(p, p.type === 'boolean' ? (raw ? 'on' : '') : String(raw));
  return parsed.ok ? { value: parsed.value } : { problem: `${p.name}: ${parsed.error.replace(/\.$/, '')} (got ${got})` };
}

export function importValues(page: PageConfig, text: string): ImportResult {
  if (Buffer.byteLength(text) > IMPORT_MAX_BYTES) throw new ImportError(`The file is larger than ${IMPORT_MAX_BYTES / 1024} KiB.`);
  const doc = parseDocument(text, { uniqueKeys: true, prettyErrors: false });
  const error = doc.errors[0] ?? doc.warnings[0];
  if (error) throw new ImportError(`The file is not valid YAML: ${error.message.split('\n')[0]}`);
  let data: unknown;
  try {
    data = doc.toJS({ maxAliasCount: 10 });
  } catch (e) {
    throw new ImportError(`The file cannot be read: ${(e as Error).message}`);
  }
  if (data === null || typeof data !== 'object' || Array.isArray(data)) {
    throw new ImportError(`The file must be a mapping of parameter names to values, like an export; it holds ${describeValue(data)}.`);
  }
  const result: ImportResult = { values: {}, problems: [], missing: [] };
  const entries = data as Record<string, unknown>;
  for (const key of Object.keys(entries)) {
    if (!page.parameters.some((p) => p.name === key)) result.problems.push(`${key}: not a parameter of this page (it has ${page.parameters.map((p) => p.name).join(', ')})`);
  }
  for (const p of page.parameters) {
    if (!(p.name in entries)) {
      result.missing.push(p.name);
      continue;
    }
    const node = doc.get(p.name, true);
    const c = checkValue(p, entries[p.name], isScalar(node) ? node.source : undefined);
    if ('value' in c) result.values[p.name] = c.value;
    else result.problems.push(c.problem);
  }
  return result;
}
