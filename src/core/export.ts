/**
 * YAML export of a page's values, and the download filename made safe for a
 * Content-Disposition header.
 */
import { Document, parse, visit } from 'yaml';
import type { PageConfig, Values } from './config/schema.ts';

/** Values as YAML, keys in the page's parameter order, scalars typed. */
export function valuesToYaml(page: PageConfig, values: Values, header?: string): string {
  const ordered: Values = {};
  for (const p of page.parameters) ordered[p.name] = values[p.name] ?? null;
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

function readsAsString(text: string): boolean {
  try {
    return parse(text, { version: '1.1', logLevel: 'silent' }) === text && parse(text, { version: '1.2', logLevel: 'silent' }) === text;
  } catch {
    return false;
  }
}

const MAX_STEM = 100;

/**
 * A filename that is safe to offer for download: no directories, no control
 * or quoting characters, `.yaml` exactly once, `fallback` when nothing usable
 * is left. Unicode letters survive (NFC).
 */
export function safeYamlFilename(input: string | null | undefined, fallback: string): string {
  let name = (input ?? '').normalize('NFC');
  name = name.split(/[\\/]/).pop() ?? '';
  name = name.replace(/[\u0000-\u001f\u007f-\u009f"*:<>?|;,%]/gu, '').replace(/\s+/gu, ' ');
  name = name.replace(/(\.ya?ml)+$/iu, '').replace(/^[\s.]+|[\s.]+$/gu, '');
  const stem = [...name].slice(0, MAX_STEM).join('').trim();
  return `${stem || fallback}.yaml`;
}

/** `attachment` with an ASCII `filename` for old clients and `filename*` for the real name. */
export function attachmentDisposition(filename: string): string {
  const ascii = filename.normalize('NFKD').replace(/[\u0300-\u036f]/g, '').replace(/[^\x20-\x7e]/g, '_').replace(/["\\]/g, '_');
  const encoded = encodeURIComponent(filename).replace(/['()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
  return `attachment; filename="${ascii}"; filename*=UTF-8''${encoded}`;
}
