/**
 * What admins do with accounts, sessions and runners. Every change is
 * audited; changing a person's role, password or disabling them ends their
 * sessions at once. There is always at least one active admin.
 */
import { randomBytes } from 'node:crypto';
import type { App } from './app.ts';
import { audit, type AuditAction } from './audit.ts';
import type { Database, Transaction } from './db.ts';
import { passwordProblem, verifyPassword } from './auth/passwords.ts';
import { invalidateSession } from './auth/sessions.ts';
import { isRole, ROLES, type Role } from './auth/roles.ts';
import type { Viewer } from './auth/access.ts';
import { forbidden, loginFirst } from './refused.ts';
import { createRunnerToken, revokeRunner, RunnerError } from './runners.ts';
import { createUser, findUser, resetPassword, setDisabled, setLanguage, setOwnPassword, setRole, UserError } from './users.ts';
import type { Wording } from '../core/worded.ts';
import { LANGUAGE_NAMES, languageFor, translator, type Translate } from '../core/i18n.ts';
import { isLanguage, type Language } from '../core/languages.ts';
import { ENGLISH, messageIn, WordedError } from '../core/worded.ts';
import { ApiTokenError, createApiToken, revokeApiToken } from './auth/api-tokens.ts';
import type { Outcome } from './outcomes.ts';
import { NotifyActionError, resendDelivery, sendTest } from './notify/admin.ts';

export class AdminError extends WordedError {}

/**
 * The acting admin; anyone else is refused, told what only admins may do
 * (`task`, default: this area's). A `task` given as English text keeps the
 * refusal English in every language.
 */
export function requireAdmin(viewer: Viewer, task?: { logIn: Wording; adminOnly: Wording }): { id: number; username: string } {
  if (!viewer.user) throw loginFirst(task?.logIn ?? ((t) => t('access.adminLogIn')));
  if (viewer.user.role !== 'admin') throw forbidden(task?.adminOnly ?? ((t) => t('access.adminOnly')));
  return viewer.user;
}

/** An audit entry for an admin action: on its own, or inside the action's own transaction. */
async function log(db: Database | Transaction, viewer: Viewer, action: AuditAction, detail: Record<string, unknown>) {
  await audit(db, { action, userId: viewer.user?.id, username: viewer.user?.username, ip: viewer.ip, detail });
}

/** Runs an admin action, turning the person's mistakes into a message (in `t`'s language) instead of an error page. */
export async function adminAction(app: App, viewer: Viewer, form: FormData, t: Translate = ENGLISH): Promise<Outcome> {
  requireAdmin(viewer);
  const field = (k: string) => String(form.get(k) ?? '').trim();
  try {
    switch (field('action')) {
      case 'create-user': {
        const user = await createUser(app.db, { username: field('username'), password: String(form.get('password') ?? ''), role: field('role'), displayName: field('display_name') || undefined, email: field('email') || undefined });
        await log(app.db, viewer, 'user_created', { user: user.username, role: user.role });
        return { ok: t('admin.outcomes.created', { role: t(`roles.${user.role}`), name: user.username }) };
      }
      case 'set-role': {
        const role = field('role');
        if (!isRole(role)) throw new AdminError((tr) => tr('admin.outcomes.badRole', { roles: ROLES.map((r) => tr(`roles.${r}`)).join(', ') }));
        const user = await setRole(app.db, field('username'), role);
        await log(app.db, viewer, 'user_role_changed', { user: user.username, from: user.role, to: role });
        return { ok: t('admin.outcomes.roleChanged', { name: user.username, role: t(`roles.${role}`) }) };
      }
      case 'disable':
      case 'enable': {
        const disable = field('action') === 'disable';
        const user = await setDisabled(app.db, field('username'), disable);
        await log(app.db, viewer, disable ? 'user_disabled' : 'user_enabled', { user: user.username });
        return { ok: t(disable ? 'admin.outcomes.disabled' : 'admin.outcomes.enabled', { name: user.username }) };
      }
      case 'reset-password': {
        const password = randomBytes(12).toString('base64url');
        const username = field('username');
        const { user, tokens } = await resetPassword(app.db, username, password, (tx) => log(tx, viewer, 'user_password_reset', { user: username }));
        const ok = t('admin.outcomes.passwordReset', { name: user.username }) + (tokens ? ` ${t('admin.outcomes.tokensRevoked', { count: tokens })}` : '');
        return { ok, secret: { label: t('admin.outcomes.newPassword', { name: user.username }), value: password } };
      }
      case 'end-session': {
        const id = field('session');
        const { rows } = await app.db.execute({ sql: 'SELECT u.username FROM sessions s JOIN users u ON u.id = s.user_id WHERE s.id = ?', args: [id] });
        if (!rows[0]) throw new AdminError((tr) => tr('admin.outcomes.sessionGone'));
        await invalidateSession(app.db, id);
        await log(app.db, viewer, 'session_ended', { user: String(rows[0].username), session: id.slice(0, 12) });
        return { ok: t('admin.outcomes.sessionEnded', { name: String(rows[0].username) }) };
      }
      case 'create-runner':
      case 'rotate-runner': {
        const name = field('name');
        const action = field('action') === 'create-runner' ? 'runner_created' : 'runner_rotated';
        const token = await createRunnerToken(app.db, name, { replace: action === 'runner_rotated', by: viewer.user?.username, signals: app.runs, alsoRecord: (tx) => log(tx, viewer, action, { runner: name }) });
        const ok = t(action === 'runner_created' ? 'admin.outcomes.runnerCreated' : 'admin.outcomes.runnerRotated', { name });
        return { ok, secret: { label: t('admin.outcomes.runnerToken', { name }), value: token } };
      }
      case 'revoke-runner': {
        await revokeRunner(app.db, field('name'), { by: viewer.user?.username, signals: app.runs, alsoRecord: (tx) => log(tx, viewer, 'runner_revoked', { runner: field('name') }) });
        return { ok: t('admin.outcomes.runnerRevoked', { name: field('name') }) };
      }
      case 'resend-delivery': {
        const id = Number(field('id'));
        await resendDelivery(app, id, (tx) => log(tx, viewer, 'delivery_resent', { delivery: id }));
        return { ok: t('admin.outcomes.resent', { id }) };
      }
      case 'test-target': {
        const target = field('target');
        await sendTest(app, target, viewer.user!.username, (tx) => log(tx, viewer, 'notification_test', { target }));
        return { ok: t('admin.outcomes.testSent', { target }) };
      }
      default:
        throw new AdminError((tr) => tr('admin.outcomes.unknownAction'));
    }
  } catch (e) {
    if (e instanceof AdminError || e instanceof UserError || e instanceof RunnerError || e instanceof NotifyActionError) return { error: messageIn(e, t) };
    throw e;
  }
}

export interface SessionRow {
  id: string;
  username: string;
  createdAt: string;
  lastUsedAt: string;
  ip: string;
  userAgent: string;
}

export async function listSessions(app: App): Promise<SessionRow[]> {
  const { rows } = await app.db.execute('SELECT s.id, u.username, s.created_at, s.last_used_at, s.ip, s.user_agent FROM sessions s JOIN users u ON u.id = s.user_id ORDER BY s.last_used_at DESC');
  return rows.map((r) => ({
    id: String(r.id),
    username: String(r.username),
    createdAt: new Date(Number(r.created_at)).toISOString(),
    lastUsedAt: new Date(Number(r.last_used_at)).toISOString(),
    ip: String(r.ip),
    userAgent: String(r.user_agent),
  }));
}

/** A person changes their own password: the current one is required, and their other sessions end. */
export async function changeOwnPassword(app: App, viewer: Viewer, currentSession: string, form: FormData, t: Translate = ENGLISH): Promise<Outcome> {
  if (!viewer.user) throw loginFirst((tr) => tr('access.logInPassword'));
  const user = (await findUser(app.db, viewer.user.username))!;
  const current = String(form.get('current') ?? '');
  const next = String(form.get('password') ?? '');
  if (!(await verifyPassword(user.passwordHash, current))) return { error: t('auth.password.wrongCurrent') };
  if (next !== String(form.get('repeat') ?? '')) return { error: t('auth.password.differ') };
  const problem = passwordProblem(next);
  if (problem) return { error: problem(t) };
  await setOwnPassword(app.db, user.username, next, currentSession, (tx) => log(tx, viewer, 'password_changed', {}));
  return { ok: t('account.outcomes.passwordChanged') };
}

/** What a person does on their own account page: language, password and API tokens; said in `t`'s language. */
export async function accountAction(app: App, viewer: Viewer, currentSession: string, form: FormData, acceptLanguage: string | null = null, t: Translate = ENGLISH): Promise<Outcome> {
  if (!viewer.user) throw loginFirst((tr) => tr('access.logInFirst'));
  try {
    switch (String(form.get('action') ?? 'change-password')) {
      case 'create-token': {
        const name = String(form.get('name') ?? '');
        const token = await createApiToken(app.db, viewer.user.id, name);
        await log(app.db, viewer, 'api_token_created', { name: name.trim() });
        return { ok: t('account.outcomes.tokenCreated', { name: name.trim() }), secret: { label: t('account.outcomes.tokenLabel', { name: name.trim() }), value: token } };
      }
      case 'set-language': {
        const chosen = String(form.get('language') ?? '');
        if (chosen !== '' && !isLanguage(chosen)) return { error: t('account.language.unknown') };
        await setLanguage(app.db, viewer.user.id, chosen || null);
        // Said in the language just chosen (or the browser's), as the next page will be.
        const now = translator(languageFor(chosen || null, acceptLanguage));
        return { ok: chosen ? now('account.language.saved', { name: LANGUAGE_NAMES[chosen as Language] }) : now('account.language.followBrowser') };
      }
      case 'revoke-token': {
        const name = await revokeApiToken(app.db, viewer.user.id, Number(form.get('id')));
        await log(app.db, viewer, 'api_token_revoked', { name });
        return { ok: t('account.outcomes.tokenRevoked', { name }) };
      }
      default:
        return changeOwnPassword(app, viewer, currentSession, form, t);
    }
  } catch (e) {
    if (e instanceof ApiTokenError) return { error: e.say(t) };
    throw e;
  }
}

export type { Role };
