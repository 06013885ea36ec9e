/** Catalogue text with markup: the markup stays, every value put into it is escaped. */
import { describe, expect, it } from 'vitest';
import { htmlText } from '../../src/core/html-text.ts';
import { translator } from '../../src/core/i18n.ts';

describe('htmlText', () => {
  it('keeps the catalogue\'s markup and escapes a value that looks like markup', () => {
    expect(htmlText(translator('en'), 'page.lastSaved', { author: '<img src=x onerror=alert(1)>&"\'' })).toBe(
      'Last saved by <strong>&lt;img src=x onerror=alert(1)&gt;&amp;&quot;&#39;</strong> at',
    );
  });

  it('words it in the language asked for, numbers as they are', () => {
    expect(htmlText(translator('it'), 'page.conflict.savedBy', { author: 'ana', id: 12 })).toBe('<strong>ana</strong> ha salvato la versione 12 il');
  });
});
