/**
 * Where an exported file's values come from, written as YAML comments above
 * them: readers that know YAML skip comments, so an import reads the file the
 * same with or without them, and a person sees which save it holds.
 */

/** The export form's "leave it out" box; a leading underscore so no parameter name can take it. */
export const NO_PROVENANCE_FIELD = '_no_provenance';

export interface Provenance {
  page: { slug: string; title: string };
  /** The page's latest save; 0 before the first. */
  revision: number;
  savedBy?: string;
  savedAt?: string;
  /** The Git commit of that save, once published. */
  commit?: string;
  /** False when the values differ from that save's (edited in the form, not saved). */
  asSaved: boolean;
  /** Absent where the file must not change from one read to the next (latest.yaml, with its ETag). */
  exported?: { by: string; at: string };
}

/** One line of text: a comment line cannot hold a line break, nor should it hide text. */
function oneLine(text: string): string {
  return text.replace(/[\p{Cc}\u2028\u2029]+/gu, ' ');
}

/** The header's lines (valuesToYaml turns each into a `#` comment). */
export function provenanceHeader(p: Provenance): string {
  const lines = [`Switchyard values of page "${oneLine(p.page.title)}" (${p.page.slug})`];
  if (p.revision === 0) lines.push(p.asSaved ? 'revision: none, never saved: the defaults' : 'revision: none, never saved: values as typed in the form, not saved');
  else {
    lines.push(p.asSaved ? `revision: ${p.revision}` : `revision: ${p.revision} is the latest save; these values differ from it (edited in the form, not saved)`);
    lines.push(`saved by: ${oneLine(p.savedBy ?? 'unknown')}`, `saved at: ${p.savedAt ?? 'unknown'}`);
    if (p.commit) lines.push(`commit: ${p.commit}`);
  }
  if (p.exported) lines.push(`exported by: ${oneLine(p.exported.by)}`, `exported at: ${p.exported.at}`);
  return lines.join('\n');
}
