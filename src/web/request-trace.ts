/**
 * One log line and one metrics observation per request, written when the
 * response has gone out. The start command's listener sees every request
 * (static files never reach the Astro middleware); the middleware knows the
 * route pattern and who is logged in. They meet in a per-request trace the
 * listener opens around Astro's handler (AsyncLocalStorage follows the
 * request into the middleware) and the middleware fills in.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { log } from '../server/log.ts';
import { perProcess } from '../server/per-process.ts';
import { observeRequest, STATIC_ROUTE } from '../server/metrics.ts';
import { forwardedClient } from './http.ts';

export interface Trace {
  id: string;
  /** The Astro route pattern (`/page/[slug]`), set by the middleware; unset for static files. */
  route?: string;
  user?: string;
}

const traces = perProcess('trace', () => new AsyncLocalStorage<Trace>());

/** The trace of the request being served, if it came through the listener. */
export function currentTrace(): Trace | undefined {
  return traces.getStore();
}

/** An incoming id is kept only if it is short and plain, so it cannot forge or break a log line. */
const SAFE_ID = /^[A-Za-z0-9._:-]{1,64}$/;

export function requestId(incoming: string | string[] | undefined): string {
  const id = Array.isArray(incoming) ? incoming[0] : incoming;
  return id && SAFE_ID.test(id) ? id : randomUUID();
}

/** Serves `req` through `handle`, answering with `X-Request-Id`; logs and counts it once the response is done. */
export function traced(req: IncomingMessage, res: ServerResponse, handle: () => void): void {
  const started = performance.now();
  const trace: Trace = { id: requestId(req.headers['x-request-id']) };
  res.setHeader('X-Request-Id', trace.id);
  // Read now: once a connection is cut (a body over the bound, say) the request has no socket left.
  const ip = forwardedClient(req.headers['x-forwarded-for']) ?? req.socket?.remoteAddress ?? '';
  let done = false;
  const finish = () => {
    if (done) return;
    done = true;
    const ms = performance.now() - started;
    const route = trace.route ?? STATIC_ROUTE;
    // A response cut short (the client left) never finished: 499, as proxies count it.
    const status = res.writableFinished ? res.statusCode : 499;
    // Logging a request must never take the process down with it.
    try {
      observeRequest(req.method ?? 'GET', route, status, ms / 1000);
      // The path without its query: a redirect's `done=` carries the key to a one-time secret.
      const path = (req.url ?? '/').split('?')[0];
      log().info({ req_id: trace.id, method: req.method, route, path, status, duration_ms: Math.round(ms * 100) / 100, user: trace.user, ip }, 'request');
    } catch (e) {
      console.error('Could not log a request:', e);
    }
  };
  res.once('finish', finish);
  res.once('close', finish);
  traces.run(trace, handle);
}
