import { describe, expect, it } from 'vitest';
import type { PageConfig, Parameter } from '../../src/core/config/schema.ts';
import { parseField, parseForm } from '../../src/core/fields.ts';
import { decodeValue, defaultValues, encodeValue, resolveValues } from '../../src/core/values.ts';
import { diffValues } from '../../src/core/diff.ts';
import { translator } from '../../src/core/i18n.ts';
import { checkReason } from '../../src/core/reason.ts';
import { importValues } from '../../src/core/import.ts';

const text: Parameter = { name: 'dir', type: 'text', required: true };
const shortText: Parameter = { name: 'tag', type: 'text', required: false, max_length: 5 };
const integer: Parameter = { name: 'n', type: 'integer', required: false, min: 1, max: 10 };
const flag: Parameter = { name: 'debug', type: 'boolean', required: false, default: false };
const level: Parameter = { name: 'level', type: 'select', required: true, options: ['debug', 'info'], default: 'info' };

describe('parseField', () => {
  it.each([
    [text, '/mnt/a', { ok: true, value: '/mnt/a' }],
    [text, '', { ok: false, error: 'This field is required.' }],
    [text, '   ', { ok: false, error: 'This field is required.' }],
    [text, 'a\nb', { ok: false, error: 'Must be a single line.' }],
    [text, 'a\u0007b', { ok: false, error: 'Must not contain control characters.' }],
    [text, 'a\tb', { ok: false, error: 'Must not contain control characters.' }],
    [text, 'a\u0085b', { ok: false, error: 'Must not contain control characters.' }],
    [text, 'ünïcödé ✓', { ok: true, value: 'ünïcödé ✓' }],
    [shortText, 'abcdef', { ok: false, error: 'At most 5 characters (this has 6).' }],
    [shortText, 'äöü✓✓', { ok: true, value: 'äöü✓✓' }],
    [shortText, undefined, { ok: true, value: '' }],
    [integer, '7', { ok: true, value: 7 }],
    [integer, ' +7 ', { ok: true, value: 7 }],
    [integer, '', { ok: true, value: null }],
    [integer, '7.5', { ok: false, error: 'Enter a whole number, such as 42.' }],
    [integer, 'seven', { ok: false, error: 'Enter a whole number, such as 42.' }],
    [integer, '1e3', { ok: false, error: 'Enter a whole number, such as 42.' }],
    [integer, '0', { ok: false, error: 'Must be at least 1.' }],
    [integer, '11', { ok: false, error: 'Must be at most 10.' }],
    [{ ...integer, min: undefined, max: undefined }, '99999999999999999999', { ok: false, error: 'This number is too large.' }],
    [flag, 'on', { ok: true, value: true }],
    [flag, undefined, { ok: true, value: false }],
    [flag, 'false', { ok: true, value: false }],
    [flag, 'maybe', { ok: false, error: 'Choose on or off.' }],
    [level, 'debug', { ok: true, value: 'debug' }],
    [level, 'DEBUG', { ok: false, error: 'Choose one of: debug, info.' }],
    [level, '', { ok: false, error: 'This field is required.' }],
    [{ ...level, required: false }, '', { ok: true, value: null }],
  ] as const)('%o with %j', (p, raw, expected) => {
    expect(parseField(p as Parameter, raw)).toEqual(expected);
  });
});

const page: PageConfig = { slug: 'p', title: 'P', requires_login: true, parameters: [text, integer, flag, level], buttons: [] };

describe('in the reader\'s language', () => {
  const page: PageConfig = { slug: 'p', title: 'P', requires_login: true, parameters: [integer, level], buttons: [] } as unknown as PageConfig;

  it('words field errors with the given translator, English without one', () => {
    expect(parseField(integer, '0', translator('fr'))).toEqual({ ok: false, error: 'Doit valoir au moins 1.' });
    expect(parseField(level, 'trace', translator('es'))).toEqual({ ok: false, error: 'Elige uno de estos: debug, info.' });
    expect(parseForm(page, (n) => ({ n: '11', level: '' })[n], undefined, translator('it')).errors).toEqual({ n: 'Deve essere al massimo 10.', level: 'Questo campo è obbligatorio.' });
    expect(parseField(integer, '0')).toEqual({ ok: false, error: 'Must be at least 1.' });
  });

  it('words a reason\'s refusal and an import\'s problems the same way', () => {
    expect(checkReason('', true, translator('fr'))).toEqual({ error: 'Indiquez le motif de la modification\u00a0: cette page en demande un à chaque enregistrement.' });
    expect(importValues(page, 'n: 2.5\nx: 1\n', translator('es')).problems).toEqual([
      'x: no es un parámetro de esta página (tiene n, level)',
      'n: se esperaba un número entero, pero se encontró el decimal 2.5',
    ]);
    expect(importValues(page, 'n: 2.5\n').problems).toEqual(['n: expected an integer, got the decimal 2.5']);
  });
});

describe('parseForm', () => {
  it('collects typed values, every error, and what was typed', () => {
    const form = new Map([['dir', ''], ['n', 'x'], ['level', 'info']]);
    const result = parseForm(page, (k) => form.get(k));
    expect(result.values).toEqual({ debug: false, level: 'info' });
    expect(result.errors).toEqual({ dir: 'This field is required.', n: 'Enter a whole number, such as 42.' });
    expect(result.raw).toEqual({ dir: '', n: 'x', debug: '', level: 'info' });
  });
});

describe('values', () => {
  it('round-trips through database text', () => {
    for (const [p, v] of [[text, 'a b'], [integer, -3], [integer, null], [flag, true], [flag, false], [level, 'debug']] as const) {
      expect(decodeValue(p, encodeValue(v))).toBe(v);
    }
  });

  it('falls back to the default when a stored value no longer fits', () => {
    const stored = new Map<string, string | null>([['n', 'not a number'], ['level', 'trace'], ['dir', '/x']]);
    expect(resolveValues(page, stored)).toEqual({ dir: '/x', n: null, debug: false, level: 'info' });
  });

  it('defaults: text empty, integer null, boolean its default, select its default', () => {
    expect(defaultValues(page)).toEqual({ dir: '', n: null, debug: false, level: 'info' });
  });

  it('diffs in parameter order and keeps removed parameters', () => {
    const changes = diffValues(page, { dir: 'a', n: 1, debug: false, level: 'info' }, { level: 'debug', dir: 'b', n: 1, debug: false, gone: 'x' });
    expect(changes.map((c) => [c.name, c.before, c.after])).toEqual([
      ['dir', 'a', 'b'],
      ['level', 'info', 'debug'],
      ['gone', undefined, 'x'],
    ]);
  });
});
