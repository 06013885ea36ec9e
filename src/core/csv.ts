/** CSV as spreadsheets read it (RFC 4180, CRLF rows), for the downloads of the audit log and the runs list. */

/**
 * One CSV field: quoted when it must be, and a leading = + - @ (or tab, CR)
 * made text with a quote mark so a spreadsheet never runs it as a formula.
 */
export function csvField(v: string | number | boolean | null | undefined): string {
  if (v === null || v === undefined) return '';
  let s = String(v);
  if (typeof v === 'string' && /^[=+\-@\t\r]/.test(s)) s = `'${s}`;
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

/** One CSV row, with its CRLF. */
export function csvRow(fields: (string | number | boolean | null | undefined)[]): string {
  return `${fields.map(csvField).join(',')}\r\n`;
}
