/** User accounts: the operations behind the `user` command and the login form. */
import type { Database, Transaction } from './db.ts';
import { hashPassword, passwordProblem } from './auth/passwords.ts';
import { revokeAllApiTokensIn } from './auth/api-tokens.ts';
import { endUserSessionsIn } from './auth/sessions.ts';
import { forgetAccountIn } from './history.ts';
import { isRole, ROLES, type Role } from './auth/roles.ts';
import { WordedError, type Wording } from '../core/worded.ts';

export interface UserRecord {
  id: number;
  username: string;
  displayName: string;
  email: string;
  role: Role;
  disabled: boolean;
  createdAt: string;
  passwordHash: string;
}

/** A person's mistake with an account, worded so the admin page says it in the admin's language (the CLI in English). */
export class UserError extends WordedError {}

const USERNAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;

export function usernameProblem(name: string): Wording | undefined {
  return USERNAME.test(name) ? undefined : (t) => t('users.badUsername');
}

function toUser(row: Record<string, unknown>): UserRecord {
  return {
    id: Number(row.id),
    username: String(row.username),
    displayName: String(row.display_name ?? ''),
    email: String(row.email ?? ''),
    role: String(row.role) as Role,
    disabled: Number(row.disabled) !== 0,
    createdAt: String(row.created_at),
    passwordHash: String(row.password_hash),
  };
}

export async function findUser(db: Database, username: string): Promise<UserRecord | undefined> {
  const { rows } = await db.execute({ sql: 'SELECT * FROM users WHERE username = ?', args: [username.trim()] });
  return rows[0] ? toUser(rows[0] as Record<string, unknown>) : undefined;
}

export async function listUsers(db: Database): Promise<UserRecord[]> {
  const { rows } = await db.execute('SELECT * FROM users ORDER BY username');
  return rows.map((r) => toUser(r as Record<string, unknown>));
}

export async function countUsers(db: Database): Promise<number> {
  const { rows } = await db.execute('SELECT count(*) AS n FROM users');
  return Number(rows[0]!.n);
}

export interface NewUser {
  username: string;
  password: string;
  role: string;
  displayName?: string;
  email?: string;
}

export async function createUser(db: Database, input: NewUser): Promise<UserRecord> {
  const problem = usernameProblem(input.username) ?? passwordProblem(input.password);
  if (problem) throw new UserError(problem);
  if (!isRole(input.role)) throw new UserError((t) => t('users.badRole', { roles: ROLES.join(', '), role: input.role }));
  if (await findUser(db, input.username)) throw new UserError((t) => t('users.exists', { name: input.username }));
  const passwordHash = await hashPassword(input.password);
  await db.write({
    sql: 'INSERT INTO users (username, display_name, email, role, password_hash, created_at) VALUES (?, ?, ?, ?, ?, ?)',
    args: [input.username, input.displayName ?? input.username, input.email ?? '', input.role, passwordHash, new Date().toISOString()],
  });
  return (await findUser(db, input.username))!;
}


/** The hash of a new password, refused if the password is too weak. */
async function newPasswordHash(password: string): Promise<string> {
  const problem = passwordProblem(password);
  if (problem) throw new UserError(problem);
  return hashPassword(password);
}

/**
 * Resets a password on someone's behalf (an admin, or `npm run user -- passwd`):
 * every session of that user ends and so do their API tokens, since a reset
 * usually means the old password was lost or known to someone else. (People
 * who change their own password, knowing the current one, keep their tokens.)
 * Returns the user as they were and how many tokens were revoked.
 */
export async function resetPassword(db: Database, username: string, password: string, alsoRecord?: (tx: Transaction) => Promise<void>): Promise<{ user: UserRecord; tokens: number }> {
  const hash = await newPasswordHash(password);
  let tokens = 0;
  const user = await changeUser(db, username, async (tx, u) => {
    await tx.execute({ sql: 'UPDATE users SET password_hash = ? WHERE id = ?', args: [hash, u.id] });
    await endUserSessionsIn(tx, u.id);
    tokens = await revokeAllApiTokensIn(tx, u.id);
    await alsoRecord?.(tx);
  });
  return { user, tokens };
}

/**
 * A person sets their own password (having shown the current one): their
 * other sessions end, the one they are using (`keepSession`) and their API
 * tokens stay, since the old password was not lost. `alsoRecord` writes the
 * audit entry in the same transaction.
 */
export async function setOwnPassword(db: Database, username: string, password: string, keepSession: string, alsoRecord?: (tx: Transaction) => Promise<void>): Promise<void> {
  const hash = await newPasswordHash(password);
  await changeUser(db, username, async (tx, u) => {
    await tx.execute({ sql: 'UPDATE users SET password_hash = ? WHERE id = ?', args: [hash, u.id] });
    await endUserSessionsIn(tx, u.id, keepSession);
    await alsoRecord?.(tx);
  });
}

/**
 * Someone must always be able to manage users: the last active admin may not
 * be removed, demoted or disabled, whether from the admin pages or from
 * `npm run user`. Checked inside the change's own transaction, so two admins
 * demoting each other at once cannot both succeed.
 */
async function keepAnAdmin(tx: Transaction, user: UserRecord, change: 'remove' | 'demote' | 'disable'): Promise<void> {
  if (user.role !== 'admin' || user.disabled) return;
  const { rows } = await tx.execute("SELECT count(*) AS n FROM users WHERE role = 'admin' AND disabled = 0");
  if (Number(rows[0]!.n) <= 1) throw new UserError((t) => t(`users.lastAdmin.${change}`, { name: user.username }));
}

/** Runs `change` on the user in one write transaction; returns the user as they were. */
async function changeUser(db: Database, username: string, change: (tx: Transaction, user: UserRecord) => Promise<void>): Promise<UserRecord> {
  return db.transaction(async (tx) => {
    const { rows } = await tx.execute({ sql: 'SELECT * FROM users WHERE username = ?', args: [username.trim()] });
    if (!rows[0]) throw new UserError((t) => t('users.noSuchUser', { name: username }));
    const user = toUser(rows[0] as Record<string, unknown>);
    await change(tx, user);
    await tx.commit();
    return user;
  });
}

/** Removes the account and its sessions; saves it made keep its name as author. */
export async function removeUser(db: Database, username: string): Promise<void> {
  await changeUser(db, username, async (tx, user) => {
    await keepAnAdmin(tx, user, 'remove');
    await endUserSessionsIn(tx, user.id);
    await forgetAccountIn(tx, user.id);
    await tx.execute({ sql: 'DELETE FROM users WHERE id = ?', args: [user.id] });
  });
}

/** Gives the user another role and ends their sessions; returns the user as they were. */
export async function setRole(db: Database, username: string, role: Role): Promise<UserRecord> {
  return changeUser(db, username, async (tx, user) => {
    if (role !== 'admin') await keepAnAdmin(tx, user, 'demote');
    await tx.execute({ sql: 'UPDATE users SET role = ? WHERE id = ?', args: [role, user.id] });
    await endUserSessionsIn(tx, user.id);
  });
}

/** The interface language a person chose, or null to follow their browser. */
export async function setLanguage(db: Database, userId: number, language: string | null): Promise<void> {
  await db.write({ sql: 'UPDATE users SET language = ? WHERE id = ?', args: [language, userId] });
}

/** Disables (ending their sessions) or enables the user; returns the user as they were. */
export async function setDisabled(db: Database, username: string, disabled: boolean): Promise<UserRecord> {
  return changeUser(db, username, async (tx, user) => {
    if (disabled) await keepAnAdmin(tx, user, 'disable');
    await tx.execute({ sql: 'UPDATE users SET disabled = ? WHERE id = ?', args: [disabled ? 1 : 0, user.id] });
    if (disabled) await endUserSessionsIn(tx, user.id);
  });
}
