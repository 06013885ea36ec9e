/**
 * A page's `docs:`: Markdown shown on the page, written inline or kept in a
 * `.md` file beside config.yaml, in one text or one per language (the
 * default language required). A value that is a single line ending in `.md`
 * is a file; anything else is the text itself.
 */
import * as z from 'zod';
import { DEFAULT_LANGUAGE, type Language } from '../languages.ts';
import { byLanguage } from './text.ts';

export const DOCS_MAX_CHARS = 50_000;

/** Whether a docs value names a file rather than being the text. */
export const isDocsFile = (v: string) => !v.includes('\n') && /\.md$/i.test(v.trim());

/** Why a docs file path is not acceptable: it must stay in config.yaml's folder. */
export function docsPathProblem(value: string): string | undefined {
  const v = value.trim();
  if (v.length > 512) return 'must be a path of at most 512 characters';
  if (/[\0-\x1f\\]/.test(v)) return 'must not contain control characters or backslashes';
  if (v.startsWith('/')) return 'must be relative to the folder of config.yaml, got an absolute path';
  if (v.split('/').some((p) => p === '..' || p === '.' || p === '')) return 'must stay in the folder of config.yaml (no "..", "." or empty segments)';
  return undefined;
}

const docsText = z
  .string()
  .min(1, { message: 'must not be empty' })
  .max(DOCS_MAX_CHARS, { message: `must be at most ${DOCS_MAX_CHARS} characters; keep longer docs in a .md file` })
  .superRefine((v, ctx) => {
    const problem = isDocsFile(v) ? docsPathProblem(v) : undefined;
    if (problem) ctx.addIssue({ code: 'custom', message: problem });
  });

export const docsSchema = z.union([docsText, byLanguage(docsText)]).transform((v): Partial<Record<Language, string>> => (typeof v === 'string' ? { [DEFAULT_LANGUAGE]: v } : v));

/** The docs value for a language, or the default language's. */
export function docsFor(docs: Partial<Record<Language, string>> | undefined, lang: Language): string | undefined {
  return docs?.[lang] ?? docs?.[DEFAULT_LANGUAGE];
}
