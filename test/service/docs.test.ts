/**
 * A page's docs as the page shows them: inline Markdown, a .md file beside
 * config.yaml (read again when it changes), and the files that are refused
 * with a reason the page can show: missing, outside the folder (also
 * through a symbolic link), too large.
 */
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { PageConfig } from '../../src/core/config/schema.ts';
import { pageDocs } from '../../src/server/docs.ts';

let dir: string;
let configPath: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'switchyard-docs-'));
  mkdirSync(join(dir, 'site'));
  configPath = join(dir, 'site', 'config.yaml');
  writeFileSync(configPath, '');
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const page = (docs: PageConfig['docs']): PageConfig => ({ slug: 'p', title: 'P', requires_login: true, parameters: [], buttons: [], docs });

describe('page docs', () => {
  it('renders inline Markdown, in the language asked for or the default one', async () => {
    const p = page({ en: '**Hello**', es: '**Hola**' });
    expect(await pageDocs(configPath, p)).toEqual({ html: '<p><strong>Hello</strong></p>\n' });
    expect(await pageDocs(configPath, p, 'es')).toEqual({ html: '<p><strong>Hola</strong></p>\n' });
    expect(await pageDocs(configPath, p, 'fr')).toEqual({ html: '<p><strong>Hello</strong></p>\n' });
    expect(await pageDocs(configPath, page(undefined))).toBeUndefined();
  });

  it('reads a file beside config.yaml, and again once it has changed', async () => {
    mkdirSync(join(dir, 'site', 'docs'));
    const file = join(dir, 'site', 'docs', 'p.md');
    writeFileSync(file, '# Steps\n\n1. one');
    expect((await pageDocs(configPath, page({ en: 'docs/p.md' })))?.html).toBe('<h2>Steps</h2>\n<ol>\n<li>one</li>\n</ol>\n');
    writeFileSync(file, '# Steps\n\n1. two');
    utimesSync(file, new Date(), new Date(Date.now() + 5000));
    expect((await pageDocs(configPath, page({ en: 'docs/p.md' })))?.html).toContain('<li>two</li>');
  });

  it('says why a file is not shown: missing, outside the folder through a link, too large', async () => {
    expect(await pageDocs(configPath, page({ en: 'nowhere.md' }))).toEqual({ problem: 'The documentation file nowhere.md is missing beside config.yaml.' });
    writeFileSync(join(dir, 'secret.md'), 'secret');
    symlinkSync(join(dir, 'secret.md'), join(dir, 'site', 'link.md'));
    expect(await pageDocs(configPath, page({ en: 'link.md' }))).toEqual({ problem: 'The documentation file link.md leads outside the folder of config.yaml, so it is not shown.' });
    writeFileSync(join(dir, 'site', 'big.md'), 'x'.repeat(300 * 1024));
    expect(await pageDocs(configPath, page({ en: 'big.md' }))).toEqual({ problem: 'The documentation file big.md is larger than 256 KiB, so it is not shown.' });
  });
});
