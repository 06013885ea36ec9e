import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import type { PageConfig, Parameter } from '../../src/core/config/schema.ts';
import { parseConfig } from '../../src/core/config/load.ts';
import { hiddenFields, isVisible, parseField, parseForm } from '../../src/core/fields.ts';
import { decodeValue, defaultValues, encodeValue, maskSecrets, withoutSecrets } from '../../src/core/values.ts';
import { diffValues } from '../../src/core/diff.ts';
import { checkValue, importValues } from '../../src/core/import.ts';
import { valuesToYaml } from '../../src/core/export.ts';
import { commitMessage } from '../../src/core/commit-message.ts';

const ratio: Parameter = { name: 'ratio', type: 'number', required: false, min: 0, max: 1, step: 0.05 };
const notes: Parameter = { name: 'notes', type: 'textarea', required: false, max_length: 20 };
const regions: Parameter = { name: 'regions', type: 'multiselect', required: true, options: ['eu', 'us', 'asia'] };
const day: Parameter = { name: 'day', type: 'date', required: false };
const at: Parameter = { name: 'at', type: 'datetime', required: false };
const code: Parameter = { name: 'code', type: 'text', required: false, max_length: 20, pattern: '[A-Z]{3}-\\d+' };
const token: Parameter = { name: 'token', type: 'secret', required: true };
const mode: Parameter = { name: 'mode', type: 'select', required: false, options: ['simple', 'advanced'], default: 'simple' };
const depth: Parameter = { name: 'depth', type: 'integer', required: true, visible_when: { mode: 'advanced' } };

describe('parseField for the richer types', () => {
  it.each([
    [ratio, '0.35', { ok: true, value: 0.35 }],
    [ratio, ' 1 ', { ok: true, value: 1 }],
    [ratio, '', { ok: true, value: null }],
    [ratio, '0.33', { ok: false, error: 'Must be 0 plus a multiple of 0.05.' }],
    [ratio, '1.5', { ok: false, error: 'Must be at most 1.' }],
    [ratio, '1e-3', { ok: false, error: 'Enter a number such as 2.5 (a dot before the decimals, no thousands separators).' }],
    [ratio, '0,5', { ok: false, error: 'Enter a number such as 2.5 (a dot before the decimals, no thousands separators).' }],
    [notes, 'a\r\nb', { ok: true, value: 'a\nb' }],
    [notes, 'tab\there', { ok: true, value: 'tab\there' }],
    [notes, 'bell\u0007', { ok: false, error: 'Must not contain control characters (line breaks and tabs are fine).' }],
    [notes, 'x'.repeat(21), { ok: false, error: 'At most 20 characters (this has 21).' }],
    [regions, 'us\neu', { ok: true, value: ['eu', 'us'] }],
    [regions, 'eu\r\nasia\neu', { ok: true, value: ['eu', 'asia'] }],
    [regions, '', { ok: false, error: 'Choose at least one.' }],
    [regions, 'eu\nmars', { ok: false, error: 'Choose only from: eu, us, asia (not mars).' }],
    [day, '2024-02-29', { ok: true, value: '2024-02-29' }],
    [day, '2023-02-29', { ok: false, error: 'Enter a date as YYYY-MM-DD, such as 2026-03-31.' }],
    [day, '31.03.2026', { ok: false, error: 'Enter a date as YYYY-MM-DD, such as 2026-03-31.' }],
    [at, '2026-03-31T18:00', { ok: true, value: '2026-03-31T18:00' }],
    [at, '2026-03-31T18:00:59+02:00', { ok: true, value: '2026-03-31T18:00:59+02:00' }],
    [at, '2026-03-31T24:00Z', { ok: false, error: 'Enter a date and time as YYYY-MM-DDTHH:MM, such as 2026-03-31T18:00 (seconds and Z or +02:00 may follow).' }],
    [at, '2026-03-31 18:00', { ok: false, error: 'Enter a date and time as YYYY-MM-DDTHH:MM, such as 2026-03-31T18:00 (seconds and Z or +02:00 may follow).' }],
    [code, 'ABC-12', { ok: true, value: 'ABC-12' }],
    [code, '', { ok: true, value: '' }],
    // Anchored at both ends, as the HTML pattern attribute.
    [code, 'xABC-12', { ok: false, error: 'Must match the pattern [A-Z]{3}-\\d+.' }],
    [{ ...code, pattern_message: 'Use a ticket id such as ABC-12.' }, 'abc', { ok: false, error: 'Use a ticket id such as ABC-12.' }],
    [token, 's3cret', { ok: true, value: 's3cret' }],
  ])('%o reads %j', (p, raw, expected) => {
    expect(parseField(p, raw)).toEqual(expected);
  });

  it('keeps a backtracking pattern fast: the config refuses it without a small max_length', () => {
    const yaml = 'toplevel_title: T\npages:\n  - slug: p\n    title: P\n    parameters:\n      - {name: x, type: text, pattern: "(a+)+b"}\n';
    const result = parseConfig(yaml);
    expect(result.ok).toBe(false);
  });
});

describe('values of the richer types', () => {
  it('round-trips through the database text, and refuses text that no longer fits', () => {
    expect(encodeValue(['eu', 'us'])).toBe('["eu","us"]');
    expect(decodeValue(regions, '["eu","us"]')).toEqual(['eu', 'us']);
    expect(decodeValue(regions, '["mars"]')).toBeUndefined();
    expect(decodeValue(regions, 'eu')).toBeUndefined();
    expect(decodeValue(ratio, '0.35')).toBe(0.35);
    expect(decodeValue(ratio, 'x')).toBeUndefined();
    expect(decodeValue(day, '2026-03-31')).toBe('2026-03-31');
    expect(decodeValue(day, 'tomorrow')).toBeUndefined();
    expect(decodeValue(token, null)).toBeNull();
  });

  it('have defaults: an empty list, no secret', () => {
    const page = { slug: 'p', title: 'P', parameters: [regions, token, ratio] } as unknown as PageConfig;
    expect(defaultValues(page)).toEqual({ regions: [], token: null, ratio: null });
  });
});

const page = { slug: 'p', title: 'P', requires_login: true, buttons: [], parameters: [regions, ratio, token, mode, depth, notes] } as unknown as PageConfig;

describe('secrets', () => {
  it('are masked, left out of files, and diffed without their value', () => {
    const values = { regions: ['eu'], ratio: 0.5, token: 'hunter2', mode: 'simple', depth: null, notes: 'a\nb' };
    expect(maskSecrets(page, values).token).toBe('(set)');
    expect(maskSecrets(page, { ...values, token: null }).token).toBeNull();
    expect(withoutSecrets(page, values)).not.toHaveProperty('token');
    const yaml = valuesToYaml(page, values);
    expect(yaml).not.toContain('hunter2');
    expect(yaml).not.toContain('token');
    const changes = diffValues(page, { ...values, token: 'old-one' }, values);
    expect(changes).toEqual([{ name: 'token', label: 'token', before: '(set)', after: '(set)', secret: true }]);
    const message = commitMessage('p', changes, 7, 'ann');
    expect(message).toContain('token changed');
    expect(message).not.toMatch(/hunter2|old-one/);
    expect(diffValues(page, { ...values, token: null }, values)[0]).toMatchObject({ before: null, after: '(set)' });
  });

  it('left empty in the form keep the saved one; required only while none is saved', () => {
    const form = (fields: Record<string, string>) => (name: string) => fields[name];
    const typed = { regions: 'eu', mode: 'simple' };
    expect(parseForm(page, form(typed), { token: 'saved' }).values).not.toHaveProperty('token');
    expect(parseForm(page, form(typed), { token: 'saved' }).errors).toEqual({});
    expect(parseForm(page, form(typed), { token: null }).errors).toEqual({ token: 'This field is required.' });
    expect(parseForm(page, form({ ...typed, token: 'new' }), { token: null }).values.token).toBe('new');
  });

  it('are cleared by their box when not required; a required one only replaced', () => {
    const form = (fields: Record<string, string>) => (name: string) => fields[name];
    const optional = { ...page, parameters: [{ ...token, required: false }] } as PageConfig;
    expect(parseForm(optional, form({ '_clear.token': 'on' }), { token: 'saved' }).values).toEqual({ token: '' });
    expect(parseForm(optional, form({ '_clear.token': 'on', token: 'typed' }), { token: 'saved' }).values).toEqual({ token: 'typed' });
    expect(parseForm(page, form({ regions: 'eu', mode: 'simple', '_clear.token': 'on' }), { token: 'saved' }).errors).toEqual({ token: 'A required secret cannot be cleared; type a new one to replace it.' });
  });

  it('are never read from a file', () => {
    const result = importValues(page, 'token: hunter2\nregions: [eu]\n');
    expect(result.values).not.toHaveProperty('token');
    expect(result.problems).toEqual(['token: a secret is not read from a file (files are shared and committed); type it in the form']);
  });
});

describe('YAML of the richer types', () => {
  it('exports a multiselect as a list, dates quoted, and imports them back', () => {
    const p2 = { ...page, parameters: [regions, ratio, day, at, notes] } as PageConfig;
    const values = { regions: ['eu', 'asia'], ratio: 0.25, day: '2026-03-31', at: '2026-03-31T18:00', notes: 'line 1\nline 2' };
    const yaml = valuesToYaml(p2, values);
    expect(yaml).toContain('regions:\n  - eu\n  - asia\n');
    expect(yaml).toContain('day: "2026-03-31"');
    // A YAML 1.1 reader takes an unquoted date for a timestamp.
    expect(parse(yaml, { version: '1.1' })).toEqual(values);
    expect(importValues(p2, yaml)).toEqual({ values, problems: [], missing: [] });
  });

  it('names what does not fit', () => {
    expect(checkValue(regions, 'eu')).toEqual({ problem: 'regions: expected a list of options, got "eu"' });
    expect(checkValue(regions, ['eu', 'eu'])).toEqual({ problem: 'regions: lists an option twice (got eu, eu)' });
    expect(checkValue(regions, ['eu\nus'])).toEqual({ problem: 'regions: expected a list of options, got a list' });
    expect(checkValue(regions, [])).toEqual({ problem: 'regions: Choose at least one (got a list)' });
    expect(checkValue(ratio, '0.5')).toEqual({ problem: 'ratio: expected a number, got "0.5"' });
    expect(checkValue(ratio, 0.33)).toEqual({ problem: 'ratio: Must be 0 plus a multiple of 0.05 (got the decimal 0.33)' });
    expect(checkValue(day, 20260331)).toEqual({ problem: 'day: expected a date (text such as "2026-03-31"), got 20260331 (put it in quotes)' });
    expect(checkValue(token, '')).toEqual({ problem: 'token: a required secret cannot be cleared' });
    expect(checkValue({ ...token, required: false }, '')).toEqual({ value: '' });
    expect(checkValue(token, 'x'.repeat(10_001))).toMatchObject({ problem: expect.stringContaining('(got a secret)') });
  });
});

describe('visible_when', () => {
  it('hides a field unless the other has the value; a hidden required field is not required', () => {
    expect(isVisible(page, depth, { mode: 'advanced' })).toBe(true);
    expect(isVisible(page, depth, { mode: 'simple' })).toBe(false);
    const form = (fields: Record<string, string>) => (name: string) => fields[name];
    const hidden = parseForm(page, form({ regions: 'eu', mode: 'simple', depth: '' }), { token: 'x' });
    expect(hidden.errors).toEqual({});
    expect(hidden.values).not.toHaveProperty('depth');
    const shown = parseForm(page, form({ regions: 'eu', mode: 'advanced', depth: '' }), { token: 'x' });
    expect(shown.errors).toEqual({ depth: 'This field is required.' });
    // A valid value in a hidden field is kept as typed.
    expect(parseForm(page, form({ regions: 'eu', mode: 'simple', depth: '4' }), { token: 'x' }).values.depth).toBe(4);
    expect(hiddenFields(page, { mode: 'simple', depth: '' })).toEqual(new Set(['depth']));
  });

  it('follows a chain: a field depending on a hidden one is hidden too', () => {
    const extra: Parameter = { name: 'extra', type: 'boolean', required: false, default: false, visible_when: { depth: 3 } };
    const chain = { ...page, parameters: [...page.parameters, extra] } as PageConfig;
    expect(isVisible(chain, extra, { mode: 'advanced', depth: 3 })).toBe(true);
    expect(isVisible(chain, extra, { mode: 'simple', depth: 3 })).toBe(false);
  });

  it('on a multiselect holds while the option is chosen', () => {
    const euOnly: Parameter = { name: 'eu_bucket', type: 'text', required: true, visible_when: { regions: 'eu' } };
    const p2 = { ...page, parameters: [regions, euOnly] } as PageConfig;
    expect(isVisible(p2, euOnly, { regions: ['us', 'eu'] })).toBe(true);
    expect(isVisible(p2, euOnly, { regions: ['us'] })).toBe(false);
  });
});
