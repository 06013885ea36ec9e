/** How an error that escaped a route is shown: through the normal layout, with its status. */
import type { SiteConfig } from '../core/config/schema.ts';
import { databaseFault, type DatabaseUnavailable } from '../server/db.ts';
import { HttpError } from './http.ts';
import { Refused, type RefusalKind } from '../server/refused.ts';
import { ENGLISH, messageIn, type Wording } from '../core/worded.ts';
import type { Translate } from '../core/i18n.ts';

/** The statuses the error page has a title for (http.titles.<status>); any other is titled "Error". */
const TITLED = new Set([400, 401, 403, 404, 409, 413, 415, 429, 503, 507]);

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

/** What a database fault means for the person, in their language: whether anything was being saved, and what to do. */
function faultWording(fault: DatabaseUnavailable): Wording {
  return (t) => t(`http.database.${fault.reading ? 'reading' : 'writing'}.${fault.kind}`);
}

/**
 * A database fault (busy, disk full) as what a route answers with: status,
 * headers and the message for the person, in `t`'s language. Anything else is thrown on.
 */
export function refusedByDatabase(e: unknown, t: Translate = ENGLISH): { status: number; headers: Record<string, string>; message: string } {
  const fault = databaseFault(e);
  if (!fault) throw e;
  return { ...faultStatus(fault), message: faultWording(fault)(t) };
}

/** The status each kind of refusal by a service is answered with. */
const REFUSAL_STATUS: Record<RefusalKind, number> = { login: 401, forbidden: 403, not_found: 404, malformed: 400, conflict: 409 };

/** The HttpError an error stands for at the edge (a refusal or a database fault included), or undefined for a bug. */
export function asHttpError(e: unknown): HttpError | undefined {
  if (e instanceof HttpError) return e;
  if (e instanceof Refused) return new HttpError(REFUSAL_STATUS[e.kind], e.wording);
  if (isBodyTooLarge(e)) return new HttpError(413, (t) => t('http.tooLarge', { size: BODY_LIMIT_BYTES / 1024 / 1024 }));
  const fault = databaseFault(e);
  if (!fault) return undefined;
  const { status, headers } = faultStatus(fault);
  return new HttpError(status, faultWording(fault), headers);
}

export interface ErrorView {
  status: number;
  title: string;
  message: string;
  headers: Record<string, string>;
  site?: SiteConfig;
}

/** The error page for the request's error (a plain 404 without one), in the person's language. */
export async function errorView(locals: App.Locals): Promise<ErrorView> {
  const t = locals.t ?? ENGLISH;
  const e = locals.error ?? new HttpError(404, (tr) => tr('errors.nothingHere'));
  const site = locals.app ? (await locals.app.config.current()).config : undefined;
  const title = TITLED.has(e.status) ? t(`http.titles.${e.status}`) : t('http.titles.other');
  return { status: e.status, title, message: messageIn(e, t), headers: e.headers, site };
}
