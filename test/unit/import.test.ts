import { describe, expect, it } from 'vitest';
import type { PageConfig } from '../../src/core/config/schema.ts';
import { valuesToYaml } from '../../src/core/export.ts';
import { importValues } from '../../src/core/import.ts';

const page: PageConfig = {
  slug: 'p',
  title: 'P',
  requires_login: true,
  buttons: [],
  parameters: [
    { name: 'version', type: 'text', required: true },
    { name: 'workers', type: 'integer', required: false, min: 1, max: 8 },
    { name: 'debug', type: 'boolean', required: false, default: false },
    { name: 'level', type: 'select', required: false, options: ['info', 'debug'] },
  ],
};

describe('importValues', () => {
  it('reads back an export exactly', () => {
    const values = { version: '1.0', workers: 4, debug: true, level: 'debug' };
    expect(importValues(page, valuesToYaml(page, values, 'header'))).toEqual({ values, problems: [], missing: [] });
  });

  it('names unknown keys, wrong types and broken rules, and lists what is missing', () => {
    const result = importValues(page, 'version: 1.0\nworkers: 12\ndebug: "yes"\ncolour: red\n');
    expect(result.values).toEqual({});
    expect(result.problems).toEqual([
      'colour: not a parameter of this page (it has version, workers, debug, level)',
      'version: expected text, got 1.0 (put it in quotes)',
      'workers: Must be at most 8 (got 12)',
      'debug: expected true or false, got "yes"',
    ]);
    expect(result.missing).toEqual(['level']);
  });

  it('refuses what is not a mapping of values', () => {
    expect(() => importValues(page, '- a\n- b\n')).toThrow('The file must be a mapping of parameter names to values, like an export; it holds a list.');
    expect(() => importValues(page, 'a: [\n')).toThrow(/^The file is not valid YAML: /);
    expect(() => importValues(page, 'a: 1\na: 2\n')).toThrow(/^The file is not valid YAML: Map keys must be unique/);
    expect(() => importValues(page, 'x'.repeat(300 * 1024))).toThrow('The file is larger than 256 KiB.');
  });
});
