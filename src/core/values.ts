/**
 * How a parameter's value moves between its typed form, the text kept in the
 * database, and the text shown in a form field. One place, so the form, the
 * save, the history and the export can never disagree.
 */
import type { PageConfig, Parameter, Value, Values } from './config/schema.ts';

/** The value a parameter has before anyone saved it. */
export function defaultValue(p: Parameter): Value {
  switch (p.type) {
    case 'text':
      return p.default ?? '';
    case 'boolean':
      return p.default;
    case 'integer':
    case 'select':
      return p.default ?? null;
  }
}

export function defaultValues(page: PageConfig): Values {
  return Object.fromEntries(page.parameters.map((p) => [p.name, defaultValue(p)]));
}

/** Database text for a typed value (`null` stays NULL). */
export function encodeValue(value: Value): string | null {
  if (value === null) return null;
  return String(value);
}

/**
 * Typed value from database text, or `undefined` when the stored text no
 * longer fits the parameter (its type or options changed since the save).
 */
export function decodeValue(p: Parameter, stored: string | null): Value | undefined {
  if (stored === null) return p.type === 'integer' || p.type === 'select' ? null : undefined;
  switch (p.type) {
    case 'text':
      return stored;
    case 'boolean':
      return stored === 'true' ? true : stored === 'false' ? false : undefined;
    case 'integer':
      return /^-?\d+$/.test(stored) && Number.isSafeInteger(Number(stored)) ? Number(stored) : undefined;
    case 'select':
      return p.options.includes(stored) ? stored : undefined;
  }
}

/** Current values: what was stored, where it still fits the parameter, else the default. */
export function resolveValues(page: PageConfig, stored: ReadonlyMap<string, string | null>): Values {
  return Object.fromEntries(
    page.parameters.map((p) => {
      const decoded = stored.has(p.name) ? decodeValue(p, stored.get(p.name)!) : undefined;
      return [p.name, decoded === undefined ? defaultValue(p) : decoded];
    }),
  );
}

/** The text a form field shows for a value. */
export function formText(value: Value): string {
  return value === null ? '' : String(value);
}

/** A value as people read it in history and diffs. */
export function displayValue(value: Value | undefined): string {
  if (value === undefined) return '(not set)';
  if (value === null) return '(empty)';
  if (value === '') return '(empty)';
  return String(value);
}
