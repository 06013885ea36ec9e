/** `/healthz` and `/readyz`: JSON for supervisors and load balancers, no login. */
import { readiness } from '../server/health.ts';
import { errorJson, HttpError, json } from './http.ts';

const started = Date.now();

/** The process answers: nothing else is asked, so this stays up while the database is down. */
export function healthz(): Response {
  return json({ status: 'ok', uptime_seconds: Math.round((Date.now() - started) / 1000) });
}

/** Whether this process can serve: 200 when ready, 503 (with the same body) when not. */
export async function readyz(locals: App.Locals): Promise<Response> {
  const r = await readiness(locals.app);
  return json({ status: r.ready ? 'ready' : 'not_ready', ...r }, r.ready ? 200 : 503);
}

/** The one method these answer (and HEAD, which the server derives from it). */
export function onlyGet(request: Request, answer: () => Response | Promise<Response>): Response | Promise<Response> {
  if (request.method === 'GET' || request.method === 'HEAD') return answer();
  return errorJson(new HttpError(405, `${new URL(request.url).pathname} takes GET, not ${request.method}`, { Allow: 'GET, HEAD' }));
}
