/** How an error that escaped a route is shown: through the normal layout, with its status. */
import type { SiteConfig } from '../core/config/schema.ts';
import { databaseFault, type DatabaseUnavailable } from '../server/db.ts';
import { HttpError } from './http.ts';
import { Refused, type RefusalKind } from '../server/refused.ts';

const TITLES: Record<number, string> = {
  400: 'Bad request',
  401: 'Log in required',
  403: 'Not allowed',
  404: 'Not found',
  409: 'Conflict',
  413: 'Too large',
  415: 'Unsupported form encoding',
  429: 'Too many requests',
  503: 'Try again shortly',
  507: 'Disk full',
};

/**
 * The most any request body may be (astro.config.mjs gives it to the Node
 * adapter, which stops reading past it): enough for the runner's largest batch
 * and the largest page form, far below what would strain the server's memory.
 */
export const BODY_LIMIT_BYTES = 32 * 1024 * 1024;

/** The adapter's error for a body past the limit, met when a route reads the body (possibly as a cause). */
function isBodyTooLarge(e: unknown): boolean {
  for (let c = e; c instanceof Error; c = c.cause) if (/Body size limit exceeded/.test(c.message)) return true;
  return false;
}

/** How long a client is asked to wait after the database was busy: about what one save waits for a lock. */
const RETRY_AFTER_SECONDS = 5;

/** A database fault as HTTP: a full disk is 507; busy or failing is 503, worth retrying in a few seconds. */
export function faultStatus(fault: DatabaseUnavailable): { status: number; headers: Record<string, string> } {
  if (fault.kind === 'full') return { status: 507, headers: {} };
  return { status: 503, headers: { 'Retry-After': String(RETRY_AFTER_SECONDS) } };
}

/**
 * A database fault (busy, disk full) as what a route answers with: status,
 * headers and the message for the person. Anything else is thrown on.
 */
export function refusedByDatabase(e: unknown): { status: number; headers: Record<string, string>; message: string } {
  const fault = databaseFault(e);
  if (!fault) throw e;
  return { ...faultStatus(fault), message: fault.message };
}

/** The status each kind of refusal by a service is answered with. */
const REFUSAL_STATUS: Record<RefusalKind, number> = { login: 401, forbidden: 403, not_found: 404, malformed: 400, conflict: 409 };

/** The HttpError an error stands for at the edge (a refusal or a database fault included), or undefined for a bug. */
export function asHttpError(e: unknown): HttpError | undefined {
  if (e instanceof HttpError) return e;
  if (e instanceof Refused) return new HttpError(REFUSAL_STATUS[e.kind], e.message);
  if (isBodyTooLarge(e)) return new HttpError(413, `The request is larger than ${BODY_LIMIT_BYTES / 1024 / 1024} MiB; nothing was done.`);
  const fault = databaseFault(e);
  if (!fault) return undefined;
  const { status, headers } = faultStatus(fault);
  return new HttpError(status, fault.message, headers);
}

export interface ErrorView {
  status: number;
  title: string;
  message: string;
  headers: Record<string, string>;
  site?: SiteConfig;
}

export async function errorView(locals: App.Locals): Promise<ErrorView> {
  const e = locals.error ?? new HttpError(404, 'There is nothing at this address.');
  const site = locals.app ? (await locals.app.config.current()).config : undefined;
  return { status: e.status, title: TITLES[e.status] ?? 'Error', message: e.message, headers: e.headers, site };
}
