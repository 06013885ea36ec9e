/** The response for an HttpError that escaped a route: a small page that says what happened. */
import { HttpError } from '../server/http.ts';

const escape = (s: string) => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

const TITLES: Record<number, string> = { 400: 'Bad request', 401: 'Log in required', 403: 'Not allowed', 404: 'Not found', 409: 'Conflict', 429: 'Too many requests' };

export function errorResponse(e: HttpError): Response {
  const title = TITLES[e.status] ?? 'Error';
  const body = `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width"><title>${title} · Switchyard</title></head>
<body><main><h1>${title}</h1><p>${escape(e.message)}</p><p><a href="/">Back to the start page</a>${e.status === 401 ? ' · <a href="/login">Log in</a>' : ''}</p></main></body></html>`;
  return new Response(body, { status: e.status, headers: { 'Content-Type': 'text/html; charset=utf-8', ...e.headers } });
}
