/**
 * `/metrics` for Prometheus. It answers to this host (loopback) only, unless
 * SWITCHYARD_METRICS_TOKEN is set: then also to anyone sending that token as
 * a bearer token. The counts are no secret, but route names, page slugs and
 * load are nothing to show the world either.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import { metricsContentType, scrape } from '../server/metrics.ts';
import { errorJson, HttpError, lastForwarded } from './http.ts';

export interface MetricsRequest {
  /** The TCP peer. */
  socketAddress: string | undefined;
  forwardedFor: string | null;
  /** Whether the request carries any header a proxy adds (X-Forwarded-For, Forwarded, X-Real-IP). */
  proxied: boolean;
  authorization: string | null;
  trustProxy: boolean;
  token: string | undefined;
}

export function isLoopback(address: string): boolean {
  const a = address.toLowerCase().replace(/^::ffff:/, '');
  return a === '::1' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(a);
}

/**
 * The address that asked. Behind a trusted proxy it is the last address in
 * X-Forwarded-For: the one the proxy itself saw (earlier entries are whatever
 * the client sent, so a client could claim 127.0.0.1 there). Without a trusted
 * proxy a forwarded request has no address we can believe: a proxy on this
 * host must not turn the world into loopback.
 */
function askingAddress(r: MetricsRequest): string | undefined {
  if (r.trustProxy) return lastForwarded(r.forwardedFor) ?? r.socketAddress;
  return r.proxied ? undefined : r.socketAddress;
}

function sameSecret(a: string, b: string): boolean {
  const digest = (s: string) => createHash('sha256').update(s).digest();
  return timingSafeEqual(digest(a), digest(b));
}

/** Why this request may not read /metrics, or undefined when it may. */
export function metricsRefusal(r: MetricsRequest): HttpError | undefined {
  const bearer = r.authorization?.match(/^Bearer\s+(\S+)\s*$/i)?.[1];
  if (r.token && bearer) return sameSecret(bearer, r.token) ? undefined : new HttpError(401, 'wrong metrics token: send the value of SWITCHYARD_METRICS_TOKEN as "Authorization: Bearer <token>"', { 'WWW-Authenticate': 'Bearer' });
  const from = askingAddress(r);
  if (from && isLoopback(from)) return undefined;
  if (r.token) return new HttpError(401, '/metrics needs the metrics token from this address: send "Authorization: Bearer <token>" with the value of SWITCHYARD_METRICS_TOKEN', { 'WWW-Authenticate': 'Bearer' });
  return new HttpError(403, '/metrics answers only to this host (loopback). To scrape it from elsewhere, set SWITCHYARD_METRICS_TOKEN on the server and send it as "Authorization: Bearer <token>"');
}

/** What is wrong with SWITCHYARD_METRICS_TOKEN, if anything; the start command stops on it. */
export function metricsTokenProblem(token: string | undefined): string | undefined {
  if (token === undefined || token === '') return undefined;
  if (!/^[\x21-\x7e]{16,256}$/.test(token)) return 'SWITCHYARD_METRICS_TOKEN must be 16 to 256 printable characters without spaces (for example: openssl rand -hex 32)';
  return undefined;
}

export async function metricsRoute(request: Request, socketAddress: string | undefined, locals: App.Locals): Promise<Response> {
  const h = request.headers;
  const refused = metricsRefusal({
    socketAddress,
    forwardedFor: h.get('x-forwarded-for'),
    proxied: h.has('x-forwarded-for') || h.has('forwarded') || h.has('x-real-ip'),
    authorization: h.get('authorization'),
    trustProxy: process.env.SWITCHYARD_TRUST_PROXY === '1',
    token: process.env.SWITCHYARD_METRICS_TOKEN || undefined,
  });
  if (refused) return errorJson(refused);
  return new Response(await scrape(locals.app), { headers: { 'Content-Type': metricsContentType(), 'Cache-Control': 'no-store' } });
}
