import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import type { PageConfig } from '../../src/core/config/schema.ts';
import { attachmentDisposition, exportFilename, valuesToYaml } from '../../src/core/export.ts';

const page: PageConfig = {
  slug: 'p',
  title: 'P',
  requires_login: true,
  buttons: [],
  parameters: [
    { name: 'version', type: 'text', required: false },
    { name: 'count', type: 'integer', required: false },
    { name: 'debug', type: 'boolean', required: false, default: false },
    { name: 'level', type: 'select', required: false, options: ['yes', 'no'] },
    { name: 'empty', type: 'integer', required: false },
  ],
};

describe('valuesToYaml', () => {
  it('writes typed scalars in parameter order, quoting strings that look like other types', () => {
    const yaml = valuesToYaml(page, { level: 'no', debug: true, count: 3, version: '1.0', empty: null });
    expect(yaml).toBe('version: "1.0"\ncount: 3\ndebug: true\nlevel: "no"\nempty: null\n');
    expect(parse(yaml)).toEqual({ version: '1.0', count: 3, debug: true, level: 'no', empty: null });
  });

  it('quotes the same text the same way every time, whatever came between', () => {
    const lines = ['no', 'nope', 'no', '12:30', 'nope', '12:30'].map((level) => valuesToYaml(page, { level }).split('\n').find((l) => l.startsWith('level:')));
    expect(lines).toEqual(['level: "no"', 'level: nope', 'level: "no"', 'level: "12:30"', 'level: nope', 'level: "12:30"']);
  });

  it('keeps hostile strings as data', () => {
    const version = 'x: y\n- z # not a comment\n!!python/object {}';
    expect(parse(valuesToYaml(page, { version }))).toMatchObject({ version });
  });

  it('adds a header comment when asked', () => {
    expect(valuesToYaml(page, { version: 'a' }, 'P (p)\nexported')).toMatch(/^# P \(p\)\n# exported\n\nversion: a\n/);
  });
});

describe('exportFilename', () => {
  it.each([
    ['my-data-processing-settings', 'my-data-processing-settings.yaml'],
    ['settings.yaml', 'settings.yaml'],
    ['settings.YML', 'settings.YML'],
    ['prod settings', 'prod settings.yaml'],
    ['  padded  ', 'padded.yaml'],
    ['', 'page.yaml'],
    [null, 'page.yaml'],
    ['   ', 'page.yaml'],
    ['résumé', 'résumé.yaml'],
    ['日本語の設定', '日本語の設定.yaml'],
    ['e\u0301', 'é.yaml'],
    ['x'.repeat(100), `${'x'.repeat(100)}.yaml`],
    [`${'x'.repeat(100)}.yaml`, `${'x'.repeat(100)}.yaml`],
  ])('uses %j as %j', (input, expected) => {
    expect(exportFilename(input, 'page')).toEqual({ filename: expected });
  });

  it.each([
    ['../../x', 'A file name cannot contain “/” or “\\”: your browser decides which folder the file goes to.'],
    ['..\\windows\\win.ini', 'A file name cannot contain “/” or “\\”: your browser decides which folder the file goes to.'],
    ['a"b\r\nSet-Cookie: x=1', 'A file name cannot contain “"”, U+000D, U+000A, “:”.'],
    ['ré;sumé%', 'A file name cannot contain “;”, “%”.'],
    ['report\u202Elmth.yaml', 'A file name cannot contain U+202E.'],
    ['.hidden', 'A file name cannot start or end with a dot.'],
    ['..', 'A file name cannot start or end with a dot.'],
    ['settings.', 'A file name cannot start or end with a dot.'],
    ['x'.repeat(101), 'A file name can have at most 100 characters, not counting .yaml.'],
  ])('refuses %j, saying why', (input, error) => {
    expect(exportFilename(input, 'page')).toEqual({ error });
  });
});

describe('attachmentDisposition', () => {
  it('gives an ASCII filename and the UTF-8 name in filename*', () => {
    expect(attachmentDisposition('résumé 1.yaml')).toBe(`attachment; filename="resume 1.yaml"; filename*=UTF-8''r%C3%A9sum%C3%A9%201.yaml`);
    expect(attachmentDisposition('日本.yaml')).toBe(`attachment; filename="__.yaml"; filename*=UTF-8''%E6%97%A5%E6%9C%AC.yaml`);
  });

  it('never contains a line break or a bare quote', () => {
    // exportFilename refuses such names; the header stays sound even without it.
    const header = attachmentDisposition('a"\r\n\u2028b.yaml');
    expect(header).not.toMatch(/[\r\n\u2028]/);
    expect(header.match(/"/g)).toHaveLength(2);
  });
});

describe('strings that other YAML readers would retype', () => {
  it.each(['no', 'yes', 'on', 'off', 'y', 'n', '~', 'null', 'true', '0o17', '010', '1_000', '12:30', '1e3', '.inf', '-5', '0x1F'])('quotes %j', (value) => {
    const yaml = valuesToYaml(page, { version: value });
    expect(yaml.split('\n')[0]).toBe(`version: ${JSON.stringify(value)}`);
    expect(parse(yaml).version).toBe(value);
    expect(parse(yaml, { version: '1.1' }).version).toBe(value);
  });

  it('leaves plain words and paths unquoted', () => {
    expect(valuesToYaml(page, { version: '/mnt/data/inputs' }).split('\n')[0]).toBe('version: /mnt/data/inputs');
  });
});
