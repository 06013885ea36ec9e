/**
 * Turns the text of config.yaml into a validated SiteConfig, or into a list of
 * problems that each name file, line, column, document path and what was
 * expected. Pure: the caller reads the file.
 */
import { createHash } from 'node:crypto';
import { isAlias, isMap, isNode, isScalar, isSeq, LineCounter, parseAllDocuments, visit, type Document, type Node } from 'yaml';
import type * as z from 'zod';
import { siteSchema, type SiteConfig } from './schema.ts';
import { allowedKeys } from './keys.ts';
import { hasTranslations, localize } from './text.ts';
import { DEFAULT_LANGUAGE, type Language } from '../languages.ts';

export const CONFIG_MAX_BYTES = 1024 * 1024;

export interface ConfigProblem {
  file: string;
  line: number;
  column: number;
  /** Path in the document, like `pages[1].parameters[0].type`; empty for the whole file. */
  path: string;
  message: string;
}

export type LoadResult =
  | {
      ok: true;
      /** In the default language. */
      config: SiteConfig;
      revision: string;
      /** The config in a language (the same object for a config written in one language only). */
      inLanguage: (lang: Language) => SiteConfig;
    }
  | { ok: false; problems: ConfigProblem[] };

export function formatProblem(p: ConfigProblem): string {
  return `${p.file}:${p.line}:${p.column} ${p.path ? `${p.path}: ` : ''}${p.message}`;
}

export function formatProblems(problems: ConfigProblem[]): string {
  return problems.map(formatProblem).join('\n');
}

/** A short, stable identifier of a config text, kept with every save. */
export function configRevision(text: string): string {
  return createHash('sha256').update(text).digest('hex').slice(0, 12);
}

export function parseConfig(text: string, file = 'config.yaml'): LoadResult {
  const at = (line: number, column: number, path: string, message: string): ConfigProblem => ({ file, line, column, path, message });
  if (Buffer.byteLength(text) > CONFIG_MAX_BYTES) {
    return { ok: false, problems: [at(1, 1, '', `file is larger than ${CONFIG_MAX_BYTES / 1024} KiB`)] };
  }
  const lines = new LineCounter();
  const docs = parseAllDocuments(text, {
    lineCounter: lines,
    prettyErrors: false,
    uniqueKeys: true,
    strict: true,
  });
  const located = (offset: number, path: string, message: string) => {
    const { line, col } = lines.linePos(offset);
    return at(line, col, path, message);
  };

  if (!Array.isArray(docs)) return { ok: false, problems: [at(1, 1, '', 'file is empty: expected toplevel_title and pages')] };
  if (docs.length === 0) return { ok: false, problems: [at(1, 1, '', 'file is empty: expected toplevel_title and pages')] };
  if (docs.length > 1) {
    const second = docs[1]!;
    return { ok: false, problems: [located(second.range[0], '', 'expected a single YAML document, found several (remove the "---" separator)')] };
  }
  const doc = docs[0]!;
  const yamlProblems = [...doc.errors, ...doc.warnings].map((e) => located(e.pos[0], '', yamlMessage(e.code, e.message)));
  if (yamlProblems.length > 0) return { ok: false, problems: yamlProblems };
  const hazard = findHazard(doc);
  if (hazard) return { ok: false, problems: [located(hazard.offset, '', hazard.message)] };

  const data: unknown = doc.toJS();
  if (data === null || data === undefined) return { ok: false, problems: [at(1, 1, '', 'file is empty: expected toplevel_title and pages')] };
  const result = siteSchema.safeParse(data);
  if (result.success) return { ok: true, revision: configRevision(text), ...languagesOf(result.data) };
  const problems = result.error.issues.flatMap((issue) => describeIssue(issue, data)).map(({ path, message, atKey }) => {
    const offset = offsetOf(doc, path, atKey);
    return located(offset, formatPath(path), message);
  });
  problems.sort((a, b) => a.line - b.line || a.column - b.column);
  return { ok: false, problems };
}

/** The parsed config in the default language, and in each other one when asked (each made once). */
function languagesOf(parsed: SiteConfig): { config: SiteConfig; inLanguage: (lang: Language) => SiteConfig } {
  if (!hasTranslations(parsed)) return { config: parsed, inLanguage: () => parsed };
  const made = new Map<Language, SiteConfig>();
  const inLanguage = (lang: Language) => made.get(lang) ?? made.set(lang, localize(parsed, lang)).get(lang)!;
  return { config: inLanguage(DEFAULT_LANGUAGE), inLanguage };
}

function yamlMessage(code: string, message: string): string {
  const firstLine = message.split('\n')[0]!.replace(/ at line \d+, column \d+:?$/, '');
  if (code === 'DUPLICATE_KEY') return `YAML error: ${firstLine} (a key appears twice in the same mapping)`;
  if (code === 'TAB_AS_INDENT') return 'YAML error: tabs are not allowed for indentation, use spaces';
  return `YAML error: ${firstLine}`;
}

/**
 * Anchors, aliases and tags are refused: they are how YAML files grow alias
 * bombs and smuggle types, and plain config needs none of them.
 */
function findHazard(doc: Document): { offset: number; message: string } | undefined {
  let found: { offset: number; message: string } | undefined;
  visit(doc, (_key, node) => {
    if (isAlias(node)) found = { offset: node.range?.[0] ?? 0, message: `YAML aliases ("*${node.source}") are not allowed: write the value out` };
    else if (isNode(node) && node.anchor) found = { offset: node.range?.[0] ?? 0, message: `YAML anchors ("&${node.anchor}") are not allowed: write the value out` };
    else if (isNode(node) && node.tag) found = { offset: node.range?.[0] ?? 0, message: `YAML tags such as "${node.tag}" are not allowed` };
    return found ? visit.BREAK : undefined;
  });
  return found;
}

type Path = (string | number)[];

export function formatPath(path: Path): string {
  return path.map((k, i) => (typeof k === 'number' ? `[${k}]` : i === 0 ? k : `.${k}`)).join('');
}

/**
 * The offset of the node at `path`, or of the nearest ancestor that exists
 * (for missing keys). With `atKey`, the last step points at the key itself,
 * which is where an unknown key should be reported.
 */
function offsetOf(doc: Document, path: Path, atKey = false): number {
  let node: unknown = doc.contents;
  let offset = (doc.contents as Node | null)?.range?.[0] ?? 0;
  for (const [i, key] of path.entries()) {
    if (isMap(node)) {
      const pair = node.items.find((p) => isScalar(p.key) && p.key.value === key);
      if (!pair) break;
      const keyOffset = (pair.key as Node).range?.[0] ?? offset;
      if (atKey && i === path.length - 1) return keyOffset;
      node = pair.value ?? pair.key;
      offset = (pair.value as Node | null)?.range?.[0] ?? keyOffset;
    } else if (isSeq(node) && typeof key === 'number' && node.items[key]) {
      node = node.items[key];
      offset = (node as Node).range?.[0] ?? offset;
    } else break;
  }
  return offset;
}

function valueAt(data: unknown, path: Path): unknown {
  let v = data;
  for (const k of path) {
    if (v === null || typeof v !== 'object') return undefined;
    v = (v as Record<string | number, unknown>)[k];
  }
  return v;
}

export function describeValue(v: unknown): string {
  if (v === undefined) return 'nothing';
  if (v === null) return 'null';
  if (typeof v === 'string') return JSON.stringify(v.length > 60 ? `${v.slice(0, 57)}...` : v);
  if (Array.isArray(v)) return 'a list';
  if (typeof v === 'object') return 'a mapping';
  if (typeof v === 'number' && !Number.isInteger(v)) return `the decimal ${v}`;
  return String(v);
}

// The config has no fractional numbers, so any number it expects is an integer.
const TYPE_NAMES: Record<string, string> = {
  string: 'a string', number: 'an integer', int: 'an integer', boolean: 'true or false', array: 'a list', object: 'a mapping',
};

const YAML_1_1_BOOLEANS = /^(yes|no|on|off|y|n|true|false)$/i;

function describeIssue(issue: z.core.$ZodIssue, data: unknown): { path: Path; message: string; atKey?: boolean }[] {
  const path = issue.path as Path;
  const got = valueAt(data, path);
  switch (issue.code) {
    case 'invalid_type': {
      if (got === undefined) return [{ path, message: `required, expected ${TYPE_NAMES[issue.expected] ?? issue.expected}` }];
      let message = `expected ${TYPE_NAMES[issue.expected] ?? issue.expected}, got ${describeValue(got)}`;
      if (issue.expected === 'boolean' && typeof got === 'string' && YAML_1_1_BOOLEANS.test(got)) message += ' (write true or false without quotes)';
      if ((issue.expected === 'number' || issue.expected === 'int') && typeof got === 'string' && /^-?\d+$/.test(got)) message += ' (remove the quotes)';
      return [{ path, message }];
    }
    case 'unrecognized_keys': {
      const allowed = allowedKeys(siteSchema, path, data);
      return issue.keys.map((key) => ({
        path: [...path, key],
        atKey: true,
        message: `unknown key "${key}"${allowed ? ` (allowed: ${allowed.join(', ')})` : ''}`,
      }));
    }
    case 'invalid_union': {
      if ('errors' in issue && issue.errors.length) return describeUnion(issue.errors, path, data, got);
      const options = 'options' in issue && Array.isArray(issue.options) ? (issue.options as string[]) : [];
      if (got === undefined) return [{ path, message: `required, expected one of ${options.join(', ')}` }];
      return [{ path, message: `expected one of ${options.join(', ')}, got ${describeValue(got)}` }];
    }
    case 'invalid_value':
      return [{ path, message: `expected ${issue.values.map((v) => JSON.stringify(v)).join(' or ')}, got ${describeValue(got)}` }];
    case 'too_small':
      if (issue.origin === 'array') return [{ path, message: issue.message.startsWith('must') ? issue.message : `must have at least ${issue.minimum} entries` }];
      if (issue.origin === 'string') return [{ path, message: issue.message.startsWith('must') ? issue.message : `must be at least ${issue.minimum} characters` }];
      return [{ path, message: `must be at least ${issue.minimum}, got ${describeValue(got)}` }];
    case 'too_big':
      if (issue.origin === 'array') return [{ path, message: `must have at most ${issue.maximum} entries` }];
      if (issue.origin === 'string') return [{ path, message: `must be at most ${issue.maximum} characters` }];
      return [{ path, message: `must be at most ${issue.maximum}, got ${describeValue(got)}` }];
    case 'invalid_format':
      return [{ path, message: `${issue.message}, got ${describeValue(got)}` }];
    default:
      return [{ path, message: issue.message }];
  }
}

/**
 * A value that fits no shape of a union (a schedule is a cron string or a
 * mapping): the problems of the one shape whose type the value has, or, when
 * its type fits none, the shapes it could have taken.
 */
function describeUnion(options: z.core.$ZodIssue[][], path: Path, data: unknown, got: unknown): { path: Path; message: string; atKey?: boolean }[] {
  const wrongType = (issues: z.core.$ZodIssue[]) => issues.find((i) => i.code === 'invalid_type' && i.path.length === 0) as { expected: string } | undefined;
  const fitting = options.filter((issues) => !wrongType(issues));
  if (fitting.length === 1) return fitting[0]!.flatMap((i) => describeIssue({ ...i, path: [...path, ...i.path] } as z.core.$ZodIssue, data));
  const expected = [...new Set(options.map((issues) => wrongType(issues)?.expected).filter((e): e is string => !!e))];
  // A text people read (src/core/config/text.ts) is a string or a map of language → string.
  const translatable = expected.length === 2 && expected.includes('string') && expected.includes('record');
  const shapes = translatable ? 'a string, or one per language such as {en: "Backup", fr: "Sauvegarde"}' : expected.map((e) => TYPE_NAMES[e] ?? e).join(' or ');
  return [{ path, message: got === undefined ? `required, expected ${translatable ? 'a string' : shapes}` : `expected ${shapes}, got ${describeValue(got)}` }];
}
