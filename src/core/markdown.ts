/**
 * Markdown from config.yaml (a page's description and docs) to HTML that is
 * safe to put in a page. markdown-it renders with raw HTML off (any tag in
 * the text is shown as text), and sanitize-html then keeps only an allow-list
 * of tags and attributes: no script, no style, no event handler, no image,
 * links only to http(s), mailto and the site itself, each marked
 * rel="noopener noreferrer". Two locks, so that a slip in one is caught by
 * the other.
 */
import MarkdownIt from 'markdown-it';
import sanitizeHtml from 'sanitize-html';

const md = new MarkdownIt({ html: false, linkify: true, typographer: false });

const SANITIZE: sanitizeHtml.IOptions = {
  allowedTags: ['p', 'h2', 'h3', 'h4', 'h5', 'h6', 'ul', 'ol', 'li', 'a', 'code', 'pre', 'em', 'strong', 'blockquote', 'hr', 'br', 'table', 'thead', 'tbody', 'tr', 'th', 'td', 's', 'del'],
  allowedAttributes: { a: ['href', 'title', 'rel'], ol: ['start'], th: ['align'], td: ['align'] },
  allowedSchemes: ['http', 'https', 'mailto'],
  allowedSchemesAppliedToAttributes: ['href'],
  allowProtocolRelative: false,
  disallowedTagsMode: 'escape',
  transformTags: {
    // The page's own heading is the h1: the docs' headings start one level below it.
    h1: 'h2',
    a: (tagName, attribs) => ({ tagName, attribs: { ...attribs, rel: 'noopener noreferrer' } }),
  },
};

/** Safe HTML for a Markdown text. */
export function renderMarkdown(text: string): string {
  return sanitizeHtml(md.render(text), SANITIZE);
}
