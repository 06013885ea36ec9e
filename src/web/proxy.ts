/**
 * Behind a reverse proxy that terminates TLS, the app sees plain HTTP from
 * the proxy. When SWITCHYARD_TRUST_PROXY=1 says such a proxy is in front (and
 * only then: anyone could send these headers), its X-Forwarded-Proto and
 * X-Forwarded-Host stand for the scheme and host the browser used, so origin
 * checks and the Secure / __Host- session cookie follow what the person sees.
 */
import type { IncomingMessage } from 'node:http';

const HOST = /^[A-Za-z0-9.-]+(:\d{1,5})?$|^\[[0-9A-Fa-f:.]+\](:\d{1,5})?$/;

function first(value: string | string[] | undefined): string | undefined {
  const v = Array.isArray(value) ? value[0] : value;
  return v?.split(',')[0]?.trim() || undefined;
}

export function applyTrustedProxy(req: IncomingMessage, directTls: boolean): void {
  const proto = first(req.headers['x-forwarded-proto'])?.toLowerCase();
  // Set on every request: a proxy's keep-alive connection carries many.
  Object.defineProperty(req.socket, 'encrypted', { value: directTls || proto === 'https', configurable: true, writable: true });
  const host = first(req.headers['x-forwarded-host']);
  if (host && HOST.test(host)) req.headers.host = host;
}
