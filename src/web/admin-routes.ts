/** Glue for the admin area and the account page: read the request, call one service. */
import type { AstroGlobal } from 'astro';
import { accountAction, adminAction, listSessions, requireAdmin } from '../server/admin.ts';
import { listApiTokens } from '../server/auth/api-tokens.ts';
import { AUDIT_ACTIONS, auditCsv, listAudit, type AuditFilter } from '../server/audit.ts';
import { isOnline, listRunners } from '../server/runners.ts';
import { listUsers } from '../server/users.ts';
import { viewerOf } from './routes.ts';
import { refusedByDatabase } from './errors.ts';
import { loginAddress } from './http.ts';
import { deliveriesPage } from '../server/notify/admin.ts';
import { keepOutcome, OUTCOME_PARAM, takeOutcome, withOutcome, type Outcome } from '../server/outcomes.ts';

export type Flash = Outcome | undefined;
type Acted = { redirect: string };

/**
 * A form action with post/redirect/get: a POST acts, keeps its outcome and
 * redirects to the same page, which shows the outcome once; a reload shows
 * the page again and repeats nothing. A refused action changed nothing and is
 * answered at once with its status, so the form's page stays as it was.
 */
async function acting(Astro: AstroGlobal, act: (form: FormData) => Promise<Outcome>): Promise<Acted | { flash: Flash }> {
  const { app, session } = Astro.locals;
  if (Astro.request.method !== 'POST') {
    return { flash: session ? await takeOutcome(app.db, session.id, Astro.url.searchParams.get(OUTCOME_PARAM)) : undefined };
  }
  const outcome = await act(await Astro.request.formData()).catch((e: unknown) => refused(Astro, e));
  if ('error' in outcome) {
    if (Astro.response.status === 200) Astro.response.status = 422;
    return { flash: outcome };
  }
  // The action is done; if its outcome cannot be kept for the redirect, show it now rather than lose a secret.
  const ref = session ? await keepOutcome(app.db, session.id, outcome).catch(() => undefined) : undefined;
  return ref ? { redirect: withOutcome(Astro.url.pathname, ref) } : { flash: outcome };
}

function adminPost(Astro: AstroGlobal): Promise<Acted | { flash: Flash }> {
  const viewer = viewerOf(Astro.locals);
  requireAdmin(viewer);
  return acting(Astro, (form) => adminAction(Astro.locals.app, viewer, form, Astro.locals.t));
}

/** An action the database refused (busy, disk full): shown where its outcome would be, with its status. */
function refused(Astro: AstroGlobal, e: unknown): { error: string } {
  const { status, headers, message } = refusedByDatabase(e, Astro.locals.t);
  Astro.response.status = status;
  for (const [k, v] of Object.entries(headers)) Astro.response.headers.set(k, v);
  return { error: message };
}

export async function usersRoute(Astro: AstroGlobal) {
  const acted = await adminPost(Astro);
  return 'redirect' in acted ? acted : { ...acted, users: await listUsers(Astro.locals.app.db) };
}

export async function sessionsRoute(Astro: AstroGlobal) {
  const acted = await adminPost(Astro);
  return 'redirect' in acted ? acted : { ...acted, sessions: await listSessions(Astro.locals.app), current: Astro.locals.session?.id };
}

export async function runnersRoute(Astro: AstroGlobal) {
  const acted = await adminPost(Astro);
  if ('redirect' in acted) return acted;
  const runners = (await listRunners(Astro.locals.app.db)).map((r) => ({ ...r, online: isOnline(r) }));
  return { ...acted, runners };
}

export async function deliveriesRoute(Astro: AstroGlobal) {
  const acted = await adminPost(Astro);
  if ('redirect' in acted) return acted;
  return { ...acted, ...(await deliveriesPage(Astro.locals.app, Astro.url.searchParams, Astro.locals.t)), query: Astro.url.searchParams };
}

function auditFilter(q: URLSearchParams): AuditFilter {
  const day = (v: string | null, add = 0) => (v && /^\d{4}-\d\d-\d\d$/.test(v) ? new Date(Date.parse(`${v}T00:00:00Z`) + add).toISOString() : undefined);
  const action = q.get('action') ?? '';
  return {
    action: (AUDIT_ACTIONS as readonly string[]).includes(action) ? action : undefined,
    user: q.get('user')?.trim() || undefined,
    from: day(q.get('from')),
    to: day(q.get('to'), 24 * 3600 * 1000),
    before: Number(q.get('before')) || undefined,
  };
}

export async function auditRoute(Astro: AstroGlobal) {
  requireAdmin(viewerOf(Astro.locals));
  const q = Astro.url.searchParams;
  const filter = auditFilter(q);
  const format = q.get('format');
  if (format === 'csv' || format === 'json') {
    const { entries } = await listAudit(Astro.locals.app.db, { ...filter, before: undefined, limit: 100_000 });
    const stamp = new Date().toISOString().slice(0, 10);
    const body = format === 'csv' ? auditCsv(entries) : `${JSON.stringify(entries, null, 2)}\n`;
    return {
      response: new Response(body, {
        headers: {
          'Content-Type': format === 'csv' ? 'text/csv; charset=utf-8' : 'application/json',
          'Content-Disposition': `attachment; filename="switchyard-audit-${stamp}.${format}"`,
          'Cache-Control': 'no-store',
        },
      }),
    };
  }
  const { entries, more } = await listAudit(Astro.locals.app.db, { ...filter, limit: 100 });
  return { entries, more, query: q, actions: AUDIT_ACTIONS };
}

export async function accountRoute(Astro: AstroGlobal) {
  const viewer = viewerOf(Astro.locals);
  if (!viewer.user) return { redirect: loginAddress('/account') };
  const { app } = Astro.locals;
  const acted = await acting(Astro, (form) => accountAction(app, viewer, Astro.locals.session?.id ?? '', form, Astro.request.headers.get('accept-language'), Astro.locals.t));
  return 'redirect' in acted ? acted : { ...acted, user: viewer.user, tokens: await listApiTokens(app.db, viewer.user.id) };
}
