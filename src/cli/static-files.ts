/**
 * The site's static files (dist/client: a few kilobytes of CSS, JS and
 * icons), read once at start and served from memory. The adapter's own
 * static handler looked each request's path up on disk first (an lstat and a
 * stat for every page view, a tenth of the server's time under load); these
 * files only change with a build, which needs a restart anyway.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { extname, join, relative, sep } from 'node:path';
import { noneMatch, strongEtag } from '../web/conditional.ts';

const TYPES: Record<string, string> = {
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.webp': 'image/webp',
  '.woff2': 'font/woff2',
  '.txt': 'text/plain; charset=utf-8',
  '.json': 'application/json',
  '.webmanifest': 'application/manifest+json',
};

interface StaticFile {
  body: Buffer;
  type: string;
  etag: string;
  lastModified: string;
  /** Built assets carry a content hash in their name: they never change at that address. */
  immutable: boolean;
}

function walk(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? walk(join(dir, e.name)) : e.isFile() ? [join(dir, e.name)] : []));
}

export function loadStaticFiles(clientDir: string): Map<string, StaticFile> {
  const files = new Map<string, StaticFile>();
  for (const path of walk(clientDir)) {
    const url = `/${relative(clientDir, path).split(sep).join('/')}`;
    // Dotfiles stay private, as the adapter kept them.
    if (url.split('/').some((part) => part.startsWith('.'))) continue;
    const body = readFileSync(path);
    files.set(url, {
      body,
      type: TYPES[extname(path).toLowerCase()] ?? 'application/octet-stream',
      etag: strongEtag(body),
      lastModified: statSync(path).mtime.toUTCString(),
      immutable: url.startsWith('/_astro/'),
    });
  }
  return files;
}

/** Serves `req` if it asks for a static file; false when it is for the app. */
export function serveStatic(files: Map<string, StaticFile>, req: IncomingMessage, res: ServerResponse): boolean {
  if (req.method !== 'GET' && req.method !== 'HEAD') return false;
  const url = req.url ?? '/';
  const q = url.indexOf('?');
  const file = files.get(q === -1 ? url : url.slice(0, q));
  if (!file) return false;
  res.setHeader('Cache-Control', file.immutable ? 'public, max-age=31536000, immutable' : 'public, max-age=0');
  res.setHeader('ETag', file.etag);
  res.setHeader('Last-Modified', file.lastModified);
  const ifNoneMatch = req.headers['if-none-match'];
  if (ifNoneMatch !== undefined && noneMatch(ifNoneMatch, file.etag)) {
    res.statusCode = 304;
    res.end();
    return true;
  }
  res.setHeader('Content-Type', file.type);
  res.setHeader('Content-Length', file.body.length);
  res.statusCode = 200;
  res.end(req.method === 'HEAD' ? undefined : file.body);
  return true;
}
