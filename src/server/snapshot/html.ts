/**
 * The snapshot's HTML: strings built here, every text that comes from the
 * config, the database or a script through `esc`, the one escape helper.
 * Markup that is already safe (the sanitised Markdown) is marked as such with
 * `raw`, so a template can never take an unescaped string by accident.
 */

/** HTML that may go into a page as it is. */
export class Html {
  readonly text: string;
  constructor(text: string) {
    this.text = text;
  }
  toString(): string {
    return this.text;
  }
}

export function raw(text: string): Html {
  return new Html(text);
}

const ENTITIES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

/** Text for an element's content or a quoted attribute. */
export function esc(text: string | number): string {
  return String(text).replace(/[&<>"']/g, (c) => ENTITIES[c]!);
}

type Part = Html | string | number | false | null | undefined | Part[];

/**
 * A template tag: strings and numbers put in are escaped, Html is kept,
 * arrays are joined, false/null/undefined leave nothing.
 */
export function html(strings: TemplateStringsArray, ...parts: Part[]): Html {
  let out = strings[0]!;
  parts.forEach((p, i) => {
    out += piece(p) + strings[i + 1]!;
  });
  return new Html(out);
}

function piece(p: Part): string {
  if (p === false || p === null || p === undefined) return '';
  if (p instanceof Html) return p.text;
  if (Array.isArray(p)) return p.map(piece).join('');
  return esc(p);
}

export interface Document {
  lang: string;
  title: string;
  siteTitle: string;
  /** From this file to the snapshot's root: '' or '../'. */
  root: string;
  body: Html;
}

/** A whole page: no script, one stylesheet beside the index, every link relative. */
export function documentHtml(d: Document): string {
  return html`<!doctype html>
<html lang="${d.lang}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'self'; img-src data:; frame-src 'self'">
<title>${d.title} · ${d.siteTitle}</title>
<link rel="stylesheet" href="${d.root}style.css">
</head>
<body>
<header class="bar"><a class="site" href="${d.root}index.html">${d.siteTitle}</a></header>
<main id="main">
${d.body}
</main>
</body>
</html>
`.text;
}

/**
 * Sanitised Markdown (src/core/markdown.ts) may link to the app itself by
 * its path (`/page/backup`). In a snapshot a link to a page it holds becomes
 * the page's file, the root the index, and any other path of the app (a page
 * left out, the runs, …) plain text: no link starts at `/`, none leads nowhere.
 */
export function snapshotLinks(sanitised: string, root: string, slugs: ReadonlySet<string>): Html {
  return raw(
    sanitised.replace(/ href="(\/[^"]*)"/g, (_all, path: string) => {
      const page = /^\/page\/([a-z0-9-]+)\/?$/.exec(path);
      if (page && slugs.has(page[1]!)) return ` href="${root}${page[1]}/index.html"`;
      return path === '/' ? ` href="${root}index.html"` : '';
    }),
  );
}
