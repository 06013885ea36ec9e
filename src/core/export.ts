/**
 * YAML export of a page's values, and the download file name: checked, then
 * put safely into a Content-Disposition header.
 */
import { Document, parse, visit } from 'yaml';
import type { PageConfig, Values } from './config/schema.ts';
import type { Translate } from './i18n.ts';
import { ENGLISH } from './worded.ts';

/**
 * Values as YAML, keys in the page's parameter order, scalars typed, a
 * multiselect as a list. Secrets are left out: exports, Git files and
 * latest.yaml are shared and committed (and an import keeps a missing key).
 */
export function valuesToYaml(page: PageConfig, values: Values, header?: string): string {
  const ordered: Values = {};
  for (const p of page.parameters) if (p.type !== 'secret') ordered[p.name] = values[p.name] ?? null;
  const doc = new Document(ordered);
  // Quote any string that a YAML 1.1 reader (PyYAML, older tools) or a 1.2
  // reader would take for something else: "no", "on", "0o17", "1_000", "12:30".
  visit(doc, {
    Scalar(_key, node) {
      if (typeof node.value === 'string' && !readsAsString(node.value)) node.type = 'QUOTE_DOUBLE';
    },
  });
  if (header) doc.commentBefore = header.split('\n').map((l) => ` ${l}`).join('\n');
  return doc.toString({ lineWidth: 0 });
}

/** Answers kept per text: a page's values repeat from one export to the next, and two YAML parses are most of an export's cost. */
const readsAsStringMemo = new Map<string, boolean>();
const MEMO_MAX = 2000;

function readsAsString(text: string): boolean {
  const known = readsAsStringMemo.get(text);
  if (known !== undefined) return known;
  let answer: boolean;
  try {
    answer = parse(text, { version: '1.1', logLevel: 'silent' }) === text && parse(text, { version: '1.2', logLevel: 'silent' }) === text;
  } catch {
    answer = false;
  }
  if (readsAsStringMemo.size >= MEMO_MAX) readsAsStringMemo.clear();
  if (text.length <= 256) readsAsStringMemo.set(text, answer);
  return answer;
}

/** Longest file name a person may ask for, not counting `.yaml`. */
export const MAX_FILENAME = 100;

export type FilenameCheck = { filename: string } | { error: string };

// Control characters and line breaks have no place in a name, and direction
// overrides can disguise its ending ("report\u202Elmth.yaml").
const INVISIBLE = '\\p{Cc}\\p{Zl}\\p{Zp}\\u202A-\\u202E\\u2066-\\u2069';
// Windows refuses the printable ones in file names; `;`, `,` and `%` confuse
// older Content-Disposition parsers.
const UNSAFE = new RegExp(`[${INVISIBLE}"*:<>?|;,%]`, 'gu');

/**
 * The download name for what a person typed, or why it cannot be one (in
 * `t`'s language). A name is used as typed or refused, never quietly changed
 * into another: the only additions are `.yaml` when it ends in neither
 * `.yaml` nor `.yml`, and the page's slug for an empty field. Surrounding
 * spaces are dropped.
 */
export function exportFilename(input: string | null | undefined, fallback: string, t: Translate = ENGLISH): FilenameCheck {
  const name = (input ?? '').normalize('NFC').trim();
  if (name === '') return { filename: `${fallback}.yaml` };
  if (/[\\/]/.test(name)) return { error: t('errors.fileName.folder') };
  const unsafe = [...new Set(name.match(UNSAFE) ?? [])];
  if (unsafe.length > 0) return { error: t('errors.fileName.unsafe', { chars: unsafe.map(shown).join(', ') }) };
  if (name.startsWith('.') || name.endsWith('.')) return { error: t('errors.fileName.dot') };
  const stem = name.replace(/\.ya?ml$/iu, '');
  if ([...stem].length > MAX_FILENAME) return { error: t('errors.fileName.tooLong', { max: MAX_FILENAME }) };
  return { filename: stem === name ? `${name}.yaml` : name };
}

/** A character as a person can read it in a message: the invisible ones by their code. */
function shown(c: string): string {
  return new RegExp(`[${INVISIBLE}]`, 'u').test(c) ? `U+${c.codePointAt(0)!.toString(16).toUpperCase().padStart(4, '0')}` : `“${c}”`;
}

/** `attachment` with an ASCII `filename` for old clients and `filename*` for the real name. */
export function attachmentDisposition(filename: string): string {
  const ascii = filename.normalize('NFKD').replace(/[\u0300-\u036f]/g, '').replace(/[^\x20-\x7e]/g, '_').replace(/["\\]/g, '_');
  const encoded = encodeURIComponent(filename).replace(/['()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
  return `attachment; filename="${ascii}"; filename*=UTF-8''${encoded}`;
}
