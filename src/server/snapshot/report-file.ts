/**
 * A run's report as a file beside its page. An HTML report is the script's
 * own markup: the page shows it in a sandboxed frame (no script, no
 * same-origin), and the file itself carries the policy the app sends with it
 * (no script, no network), so opened on its own it runs nothing either.
 */

/** `<button>.report.html` or `.report.txt`: button names are identifiers, so these are safe file names. */
export function reportFileName(button: string, type: 'html' | 'text'): string {
  return `${button}.report.${type === 'html' ? 'html' : 'txt'}`;
}

/** The run page's report policy (src/web/run-routes.ts), as a meta element a file can carry. */
const POLICY = `<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; img-src data:">`;

/**
 * The file's text. The policy goes first, before anything of the report's:
 * after a doctype when there is one (so the report keeps its rendering
 * mode), else at the very start; either way the parser puts it in the head.
 */
export function reportFileText(type: 'html' | 'text', body: string): string {
  if (type === 'text') return body;
  const doctype = /^\s*<!doctype[^>]*>/i.exec(body);
  return doctype ? `${doctype[0]}${POLICY}${body.slice(doctype[0].length)}` : `${POLICY}${body}`;
}
