/** Glue for the admin area and the account page: read the request, call one service. */
import type { AstroGlobal } from 'astro';
import { accountAction, adminAction, listSessions, requireAdmin } from '../server/admin.ts';
import { listApiTokens } from '../server/auth/api-tokens.ts';
import { AUDIT_ACTIONS, auditCsv, listAudit, type AuditFilter } from '../server/audit.ts';
import { listRunners } from '../server/runners.ts';
import { listUsers } from '../server/users.ts';
import { viewerOf } from './routes.ts';
import { refusedByDatabase } from './errors.ts';

export type Flash = { ok: string } | { error: string } | undefined;

/** Admin pages: POST runs the action and shows its outcome; GET just shows. */
async function adminPost(Astro: AstroGlobal): Promise<Flash> {
  requireAdmin(viewerOf(Astro.locals));
  if (Astro.request.method !== 'POST') return undefined;
  const flash = await adminAction(Astro.locals.app, viewerOf(Astro.locals), await Astro.request.formData()).catch((e: unknown) => refused(Astro, e));
  if ('error' in flash && Astro.response.status === 200) Astro.response.status = 422;
  return flash;
}

/** An action the database refused (busy, disk full): shown where its outcome would be, with its status. */
function refused(Astro: AstroGlobal, e: unknown): Flash & { error: string } {
  const { status, headers, message } = refusedByDatabase(e);
  Astro.response.status = status;
  for (const [k, v] of Object.entries(headers)) Astro.response.headers.set(k, v);
  return { error: message };
}

export async function usersRoute(Astro: AstroGlobal) {
  const flash = await adminPost(Astro);
  return { flash, users: await listUsers(Astro.locals.app.db) };
}

export async function sessionsRoute(Astro: AstroGlobal) {
  const flash = await adminPost(Astro);
  return { flash, sessions: await listSessions(Astro.locals.app), current: Astro.locals.session?.id };
}

export async function runnersRoute(Astro: AstroGlobal) {
  const flash = await adminPost(Astro);
  return { flash, runners: await listRunners(Astro.locals.app.db) };
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
  if (!viewer.user) return { redirect: '/login?next=%2Faccount' };
  const { app } = Astro.locals;
  let flash: Flash;
  if (Astro.request.method === 'POST') {
    const form = await Astro.request.formData();
    flash = await accountAction(app, viewer, Astro.locals.session?.id ?? '', form).catch((e: unknown) => refused(Astro, e));
    if ('error' in flash && Astro.response.status === 200) Astro.response.status = 422;
  }
  return { flash, user: viewer.user, tokens: await listApiTokens(app.db, viewer.user.id) };
}
