/**
 * The HTTP edge's helpers. One HTTP error type: services refuse with
 * `Refused` (src/server/refused.ts), and src/web/errors.ts turns either into
 * the response.
 */
import { WordedError, type Wording } from '../core/worded.ts';

export class HttpError extends WordedError {
  readonly status: number;
  readonly headers: Record<string, string>;
  /** A Wording is shown in the person's language on the error page; the JSON answer carries its English. */
  constructor(status: number, message: string | Wording, headers: Record<string, string> = {}) {
    super(message);
    this.name = 'HttpError';
    this.status = status;
    this.headers = headers;
  }
}


/** The one JSON answer of the edge; never cached, since every JSON answer here is someone's live state. */
export function json(body: unknown, status = 200, headers: Record<string, string> = {}): Response {
  return new Response(JSON.stringify(body), { status, headers: { ...headers, 'Content-Type': 'application/json', 'Cache-Control': 'no-store' } });
}

/** An HTTP error as JSON: `{"error": "…"}` with its status and headers (Allow, Retry-After). */
export function errorJson(e: HttpError): Response {
  return json({ error: e.message }, e.status, e.headers);
}

/** The login page, coming back to `next` (a path of this site) afterwards. */
export function loginAddress(next: string): string {
  return `/login?next=${encodeURIComponent(next)}`;
}

/** A `next` target that can only lead back into this site. */
export function safeNext(next: string | null | undefined): string {
  if (!next || !next.startsWith('/') || next.startsWith('//') || next.startsWith('/\\') || /[\u0000-\u001f]/.test(next)) return '/';
  return next;
}

/**
 * The client's address. X-Forwarded-For is believed only when
 * SWITCHYARD_TRUST_PROXY=1 says a reverse proxy sets it; otherwise anyone
 * could pick an address and dodge per-address login throttling.
 */
export function clientIp(request: Request, socketAddress: string | undefined): string {
  return forwardedClient(request.headers.get('x-forwarded-for') ?? undefined) ?? socketAddress ?? '';
}

/**
 * The address the trusted proxy saw: the last in X-Forwarded-For. Entries
 * before it are whatever the client sent (a proxy that appends keeps them),
 * so a client could name any address there, 127.0.0.1 included.
 */
export function lastForwarded(value: string | null | undefined): string | undefined {
  return value?.split(',').at(-1)?.trim().slice(0, 64) || undefined;
}

/** The client X-Forwarded-For names, when SWITCHYARD_TRUST_PROXY=1 says to believe it (see clientIp). */
export function forwardedClient(header: string | string[] | undefined): string | undefined {
  if (process.env.SWITCHYARD_TRUST_PROXY !== '1') return undefined;
  return lastForwarded(Array.isArray(header) ? header.join(',') : header);
}

export const SECURITY_HEADERS: Record<string, string> = {
  'Content-Security-Policy': [
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self' data:",
    "font-src 'self'",
    "connect-src 'self'",
    "object-src 'none'",
    "base-uri 'none'",
    "form-action 'self'",
    "frame-ancestors 'none'",
  ].join('; '),
  'X-Content-Type-Options': 'nosniff',
  'X-Frame-Options': 'DENY',
  'Referrer-Policy': 'same-origin',
  'Permissions-Policy': 'camera=(), microphone=(), geolocation=(), payment=()',
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Cross-Origin-Resource-Policy': 'same-origin',
};

/** The request's media type without parameters, lower-case; '' when it has none. */
export function mediaType(request: Request): string {
  return (request.headers.get('content-type') ?? '').split(';')[0]!.trim().toLowerCase();
}

/** Without a length or chunks, Node's parser reads no body (a bare `curl -X POST` sends neither). */
export function hasBody(request: Request): boolean {
  return Number(request.headers.get('content-length') ?? 0) > 0 || request.headers.has('transfer-encoding');
}

/** What a request sent, as a 415 names it after what the address takes. */
export function sentBody(request: Request): string {
  const type = mediaType(request);
  if (type) return `"${type}"`;
  return hasBody(request) ? 'a body without a Content-Type' : 'no body';
}

/**
 * The body as text, reading no more than `maxBytes` of it; undefined when it
 * is larger. A declared length is checked first and a streamed (chunked) body
 * is cut off as soon as it passes the bound, so a client cannot make the app
 * hold more than that in memory.
 */
export async function readBoundedText(request: Request, maxBytes: number): Promise<string | undefined> {
  return (await readBoundedBytes(request, maxBytes))?.toString('utf8');
}

/** The body's bytes, or undefined past `maxBytes` (declared or sent): reading stops there. */
export async function readBoundedBytes(request: Request, maxBytes: number): Promise<Buffer | undefined> {
  const declared = Number(request.headers.get('content-length'));
  if (declared > maxBytes) return undefined;
  if (!request.body) return Buffer.alloc(0);
  const reader = request.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > maxBytes) {
      await reader.cancel().catch(() => undefined);
      return undefined;
    }
    chunks.push(value);
  }
  return Buffer.concat(chunks);
}

/**
 * A JSON object body of at most `maxBytes`: 413 past it, 400 for anything but
 * an object. An empty body is `{}` when `allowEmpty` says so (calls whose
 * fields are all optional), else refused like any non-object.
 */
export async function readJsonObject(request: Request, maxBytes: number, opts: { allowEmpty?: boolean } = {}): Promise<Record<string, unknown>> {
  const text = await readBoundedText(request, maxBytes);
  if (text === undefined) throw new HttpError(413, `body larger than ${maxBytes % (1024 * 1024) === 0 ? `${maxBytes / 1024 / 1024} MiB` : `${maxBytes} bytes`}; nothing was done`);
  if (opts.allowEmpty && text.trim() === '') return {};
  return jsonObjectOf(text);
}

/** The text as a JSON object, or a 400 saying it is not one. */
export function jsonObjectOf(text: string): Record<string, unknown> {
  try {
    const data = JSON.parse(text) as unknown;
    if (data && typeof data === 'object' && !Array.isArray(data)) return data as Record<string, unknown>;
  } catch {
    /* not JSON: the same answer as JSON that is no object */
  }
  throw new HttpError(400, 'body must be a JSON object');
}
