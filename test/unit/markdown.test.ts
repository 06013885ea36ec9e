/**
 * Markdown from config.yaml becomes safe HTML: what an author may write
 * renders, and nothing that could run, restyle or leak survives, whether it
 * is written as raw HTML or made through Markdown itself.
 */
import { describe, expect, it } from 'vitest';
import { renderMarkdown } from '../../src/core/markdown.ts';

describe('Markdown from config.yaml', () => {
  it('renders what docs need: headings one level below the page, lists, code, tables and links marked noopener', () => {
    const html = renderMarkdown('# Deploy\n\nRun **carefully**:\n\n1. stop\n2. `start`\n\n| a | b |\n|---|---|\n| 1 | 2 |\n\nSee [the wiki](https://wiki.example.com/deploy) or mail@example.com.');
    expect(html).toContain('<h2>Deploy</h2>');
    expect(html).toContain('<strong>carefully</strong>');
    expect(html).toContain('<ol>\n<li>stop</li>\n<li><code>start</code></li>\n</ol>');
    expect(html).toContain('<td>1</td>');
    expect(html).toContain('<a href="https://wiki.example.com/deploy" rel="noopener noreferrer">the wiki</a>');
    expect(html).toContain('<a href="mailto:mail@example.com" rel="noopener noreferrer">mail@example.com</a>');
  });

  it.each([
    ['a script tag', '<script>alert(1)</script>'],
    ['an event handler', '<img src=x onerror=alert(1)>'],
    ['an inline handler on a link', '<a href="https://x.example" onclick="alert(1)">x</a>'],
    ['a style', '<p style="position:fixed">x</p>'],
    ['an iframe', '<iframe src="https://evil.example"></iframe>'],
  ])('shows raw HTML as text: %s', (_, text) => {
    const html = renderMarkdown(text);
    expect(html).not.toMatch(/<(script|img|iframe|style)\b/i);
    expect(html).not.toMatch(/<[^>]*\s(on\w+|style)=/i); // no handler or style on any element made
    expect(html).toContain('&lt;');
  });

  it.each([
    ['javascript:', '[click](javascript:alert(1))'],
    ['JavaScript: with entities', '[click](jav&#x61;script:alert(1))'],
    ['data:', '[click](data:text/html;base64,PHNjcmlwdD4=)'],
    ['vbscript:', '[click](vbscript:msgbox(1))'],
    ['a protocol-relative address', '[click](//evil.example/x)'],
  ])('makes no link of %s', (_, text) => {
    const html = renderMarkdown(text);
    expect(html).not.toMatch(/href="(?!https?:|mailto:)/i);
    expect(html).not.toMatch(/href="[^"]*(javascript|vbscript|data:)/i);
  });

  it('drops images (the CSP would refuse most, and a tracker pixel should not be possible)', () => {
    expect(renderMarkdown('![x](https://tracker.example/p.png)')).not.toContain('<img');
  });
});
