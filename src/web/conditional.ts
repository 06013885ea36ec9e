/**
 * Conditional GETs (RFC 9110 §13): a strong ETag from a body's exact bytes,
 * Last-Modified, and whether a request's If-None-Match / If-Modified-Since
 * let the answer be a 304 without a body.
 */
import { createHash } from 'node:crypto';

/** A strong validator: the first 128 bits of the body's SHA-256, so any change of a byte changes it. */
export function strongEtag(body: string | Buffer): string {
  return `"${createHash('sha256').update(body).digest('base64url').slice(0, 22)}"`;
}

/**
 * How long after a change its time may serve as Last-Modified. An HTTP date
 * counts whole seconds, so a client that read between two changes in the same
 * second would be told "not modified" after the second one. Sent only once the
 * second it names (and a save's commit or a config reload that lags its time
 * stamp by up to a second) has passed, a date the client holds is earlier than
 * any later change's. Until then the ETag alone is the validator.
 */
export const SETTLED_MS = 2000;

/** The Last-Modified header for a change at `ms`, or undefined while changes in its second may still come. */
export function lastModifiedHeader(ms: number, now = Date.now()): string | undefined {
  return now - ms >= SETTLED_MS ? new Date(ms).toUTCString() : undefined;
}

/** Whether an If-None-Match header names this entity tag (compared weakly, as RFC 9110 §13.1.2 says: W/ ignored). */
export function noneMatch(header: string, etag: string): boolean {
  return header.split(',').map((t) => t.trim().replace(/^W\//, '')).some((t) => t === '*' || t === etag);
}

/**
 * Whether the client's copy is current: If-None-Match when sent (it takes
 * precedence), else If-Modified-Since against the Last-Modified we would send.
 */
export function notModified(request: Request, etag: string, lastModified: string | undefined): boolean {
  const ifNoneMatch = request.headers.get('if-none-match');
  if (ifNoneMatch !== null) return noneMatch(ifNoneMatch, etag);
  const since = Date.parse(request.headers.get('if-modified-since') ?? '');
  if (!lastModified || Number.isNaN(since)) return false;
  return Date.parse(lastModified) <= since;
}
