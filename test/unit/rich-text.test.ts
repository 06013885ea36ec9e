/** Catalogue text with markup: the markup stays, every value put into it is escaped. */
import { describe, expect, it } from 'vitest';
import { richText } from '../../src/core/rich-text.ts';
import { translator } from '../../src/core/i18n.ts';

describe('richText', () => {
  it('keeps the catalogue\'s markup and escapes a value that looks like markup', () => {
    expect(richText(translator('en'), 'page.lastSaved', { author: '<img src=x onerror=alert(1)>&"\'' })).toBe(
      'Last saved by <strong>&lt;img src=x onerror=alert(1)&gt;&amp;&quot;&#39;</strong> at',
    );
  });

  it('words it in the language asked for, numbers as they are', () => {
    expect(richText(translator('it'), 'page.conflict.savedBy', { author: 'ana', id: 12 })).toBe('<strong>ana</strong> ha salvato la versione 12 il');
  });
});
