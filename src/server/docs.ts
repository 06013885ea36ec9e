/**
 * A page's description and docs (and its buttons' docs) as safe HTML (src/core/markdown.ts). Docs
 * kept in a `.md` file beside config.yaml are read when shown, so an edit to
 * the file shows on the next view without touching config.yaml; the file
 * must stay inside config.yaml's folder (also through symbolic links) and
 * be at most 256 KiB. Rendered HTML is kept per text, and a file's per
 * modification time, so a page view does not render Markdown again.
 */
import { readFile, realpath, stat } from 'node:fs/promises';
import { dirname, relative, resolve, sep } from 'node:path';
import type { Button, PageConfig } from '../core/config/schema.ts';
import { docsFor, isDocsFile } from '../core/config/docs.ts';
import { DEFAULT_LANGUAGE, type Language } from '../core/languages.ts';
import { translator, type Translate } from '../core/i18n.ts';
import { renderMarkdown } from '../core/markdown.ts';

const FILE_MAX_BYTES = 256 * 1024;
const KEEP = 500;

const rendered = new Map<string, string>();

/** Markdown to HTML, kept for texts seen before (at most KEEP of them). */
export function markdownHtml(text: string): string {
  let html = rendered.get(text);
  if (html === undefined) {
    html = renderMarkdown(text);
    if (rendered.size >= KEEP) rendered.delete(rendered.keys().next().value!);
    rendered.set(text, html);
  }
  return html;
}

export interface Docs {
  html?: string;
  /** Why the docs cannot be shown (a file missing or outside the folder), for the page to say. */
  problem?: string;
}

async function readDocsFile(configPath: string, name: string, t: Translate): Promise<Docs> {
  const folder = await realpath(dirname(configPath));
  let path: string;
  try {
    path = await realpath(resolve(folder, name));
  } catch {
    return { problem: t('errors.docs.missing', { name }) };
  }
  const inside = relative(folder, path);
  if (inside.startsWith('..') || inside.startsWith(sep)) return { problem: t('errors.docs.outside', { name }) };
  const info = await stat(path);
  if (!info.isFile()) return { problem: t('errors.docs.notFile', { name }) };
  if (info.size > FILE_MAX_BYTES) return { problem: t('errors.docs.tooLarge', { name, size: FILE_MAX_BYTES / 1024 }) };
  return { html: markdownHtml(await readFile(path, 'utf8')) };
}

/** The page's docs in `lang` (or the default language), as HTML or as the reason they cannot be shown, said in `lang`. */
export function pageDocs(configPath: string, page: PageConfig, lang: Language = DEFAULT_LANGUAGE): Promise<Docs | undefined> {
  return docsHtml(configPath, page.docs, lang);
}

/** A button's docs, as its page's are: the same files, renderer and sanitiser. */
export function buttonDocs(configPath: string, button: Button, lang: Language = DEFAULT_LANGUAGE): Promise<Docs | undefined> {
  return docsHtml(configPath, button.docs, lang);
}

async function docsHtml(configPath: string, docs: PageConfig['docs'], lang: Language): Promise<Docs | undefined> {
  const value = docsFor(docs, lang);
  if (value === undefined) return undefined;
  if (!isDocsFile(value)) return { html: markdownHtml(value) };
  const t = translator(lang);
  const name = value.trim();
  return readDocsFile(configPath, name, t).catch((e: Error) => ({ problem: t('errors.docs.unreadable', { name, why: (e as NodeJS.ErrnoException).code ?? e.message }) }));
}
