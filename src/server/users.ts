/** User accounts: the operations behind the `user` command and the login form. */
import type { Database } from './db.ts';
import { hashPassword, passwordProblem } from './auth/passwords.ts';
import { invalidateUserSessions } from './auth/sessions.ts';
import { isRole, ROLES, type Role } from './auth/roles.ts';

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

export class UserError extends Error {}

const USERNAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;

export function usernameProblem(name: string): string | undefined {
  return USERNAME.test(name) ? undefined : 'Username must be 1 to 64 letters, digits, ".", "_" or "-", starting with a letter or digit.';
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
  if (!isRole(input.role)) throw new UserError(`Role must be one of ${ROLES.join(', ')}; got "${input.role}".`);
  if (await findUser(db, input.username)) throw new UserError(`User "${input.username}" already exists.`);
  const passwordHash = await hashPassword(input.password);
  await db.write({
    sql: 'INSERT INTO users (username, display_name, email, role, password_hash, created_at) VALUES (?, ?, ?, ?, ?, ?)',
    args: [input.username, input.displayName ?? input.username, input.email ?? '', input.role, passwordHash, new Date().toISOString()],
  });
  return (await findUser(db, input.username))!;
}

async function requireUser(db: Database, username: string): Promise<UserRecord> {
  const user = await findUser(db, username);
  if (!user) throw new UserError(`No user named "${username}".`);
  return user;
}

/** Sets a new password and ends every session of that user. */
export async function setPassword(db: Database, username: string, password: string): Promise<void> {
  const problem = passwordProblem(password);
  if (problem) throw new UserError(problem);
  const user = await requireUser(db, username);
  await db.write({ sql: 'UPDATE users SET password_hash = ? WHERE id = ?', args: [await hashPassword(password), user.id] });
  await invalidateUserSessions(db, user.id);
}

/** Removes the account and its sessions; saves it made keep its name as author. */
export async function removeUser(db: Database, username: string): Promise<void> {
  const user = await requireUser(db, username);
  await db.batch(
    [
      { sql: 'DELETE FROM sessions WHERE user_id = ?', args: [user.id] },
      { sql: 'UPDATE changes SET user_id = NULL WHERE user_id = ?', args: [user.id] },
      { sql: 'DELETE FROM users WHERE id = ?', args: [user.id] },
  ]);
}
