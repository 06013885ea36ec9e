/**
 * The users service on a real database, in-process: it alone writes a
 * user's role, disabled flag and password, ends the sessions such a change
 * calls for, and keeps an active admin whichever path the change comes by
 * (admin pages and `npm run user` call these same functions).
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { authenticateApiToken, createApiToken } from '../../src/server/auth/api-tokens.ts';
import { verifyPassword } from '../../src/server/auth/passwords.ts';
import { createSession, generateSessionToken, sessionIdFromToken, validateSessionToken } from '../../src/server/auth/sessions.ts';
import type { PageConfig } from '../../src/core/config/schema.ts';
import type { Database } from '../../src/server/db.ts';
import { pageHistory, saveValues } from '../../src/server/history.ts';
import { createUser, findUser, listUsers, removeUser, resetPassword, setDisabled, setOwnPassword, setRole, UserError } from '../../src/server/users.ts';
import { tempDatabase } from '../helpers/temp-db.ts';

let db: Database;
let close: () => void;
beforeEach(async () => {
  ({ db, close } = await tempDatabase());
});
afterEach(() => close());

const PASSWORD = 'correct horse';
const add = (username: string, role = 'editor') => createUser(db, { username, password: PASSWORD, role });

/** Logs the user in; returns the session's token. */
async function login(username: string): Promise<string> {
  const token = generateSessionToken();
  await createSession(db, token, (await findUser(db, username))!.id);
  return token;
}
const loggedIn = async (token: string) => (await validateSessionToken(db, token)) !== null;

describe('users', () => {
  it('creates a user with a hashed password, and refuses bad names, roles, passwords and duplicates', async () => {
    const alice = await createUser(db, { username: 'alice', password: PASSWORD, role: 'editor', email: 'a@example.org' });
    expect(alice).toMatchObject({ username: 'alice', displayName: 'alice', email: 'a@example.org', role: 'editor', disabled: false });
    expect(alice.passwordHash).not.toContain(PASSWORD);
    expect(await verifyPassword(alice.passwordHash, PASSWORD)).toBe(true);

    await expect(add('alice')).rejects.toThrow('already exists');
    await expect(add('-bad')).rejects.toThrow(UserError);
    await expect(add('bob', 'owner')).rejects.toThrow('Role must be one of');
    await expect(createUser(db, { username: 'bob', password: 'short', role: 'editor' })).rejects.toThrow('at least 8');
    expect((await listUsers(db)).map((u) => u.username)).toEqual(['alice']);
  });

  it('stores a session as the SHA-256 of its token in hex, as every earlier version did (sessions survive an upgrade)', () => {
    expect(sessionIdFromToken('abc')).toBe('ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
  });

  it('changes a role and ends that user’s sessions', async () => {
    await add('admin', 'admin');
    await add('bob');
    const token = await login('bob');
    const before = await setRole(db, 'bob', 'viewer');
    expect(before.role).toBe('editor');
    expect((await findUser(db, 'bob'))!.role).toBe('viewer');
    expect(await loggedIn(token)).toBe(false);
    await expect(setRole(db, 'nobody', 'viewer')).rejects.toThrow('No user named');
  });

  it('disables a user, ending their sessions and API tokens’ use, and enables them again', async () => {
    await add('bob');
    const token = await login('bob');
    const api = await createApiToken(db, (await findUser(db, 'bob'))!.id, 'ci');
    await setDisabled(db, 'bob', true);
    expect((await findUser(db, 'bob'))!.disabled).toBe(true);
    expect(await loggedIn(token)).toBe(false);
    expect(await authenticateApiToken(db, api)).toBeUndefined();
    await setDisabled(db, 'bob', false);
    expect((await findUser(db, 'bob'))!.disabled).toBe(false);
    expect(await authenticateApiToken(db, api)).toMatchObject({ username: 'bob' });
  });

  describe('the last active admin', () => {
    beforeEach(async () => {
      await add('root', 'admin');
    });

    it('may not be demoted, disabled or removed', async () => {
      await expect(setRole(db, 'root', 'editor')).rejects.toThrow('last active admin');
      await expect(setDisabled(db, 'root', true)).rejects.toThrow('last active admin');
      await expect(removeUser(db, 'root')).rejects.toThrow('last active admin');
      expect(await findUser(db, 'root')).toMatchObject({ role: 'admin', disabled: false });
    });

    it('counts only active admins: a disabled admin is no stand-in', async () => {
      await add('spare', 'admin');
      await setDisabled(db, 'spare', true);
      await expect(setRole(db, 'root', 'viewer')).rejects.toThrow('last active admin');
      await setDisabled(db, 'spare', false);
      await setRole(db, 'root', 'viewer');
      await expect(removeUser(db, 'spare')).rejects.toThrow('last active admin');
    });

    it('may stay admin, and another admin may go', async () => {
      await setRole(db, 'root', 'admin');
      await add('second', 'admin');
      await removeUser(db, 'second');
      expect(await findUser(db, 'second')).toBeUndefined();
    });
  });

  it('removes a user with their sessions; their saves keep the name', async () => {
    const bob = await add('bob');
    const token = await login('bob');
    const page: PageConfig = { slug: 'p', title: 'P', requires_login: true, buttons: [], parameters: [{ name: 'n', type: 'integer', required: false, default: 0 }] };
    await saveValues(db, { page, values: { n: 1 }, configRevision: 'r', user: bob });
    await removeUser(db, 'bob');
    expect(await findUser(db, 'bob')).toBeUndefined();
    expect(await loggedIn(token)).toBe(false);
    expect((await pageHistory(db, page, {})).entries.map((e) => e.author)).toEqual(['bob']);
    expect((await db.execute('SELECT user_id FROM changes')).rows[0]!.user_id).toBeNull();
    await expect(removeUser(db, 'bob')).rejects.toThrow('No user named');
  });

  it('an own password change ends the other sessions, keeps this one and the API tokens', async () => {
    await add('bob');
    const here = await login('bob');
    const there = await login('bob');
    const api = await createApiToken(db, (await findUser(db, 'bob'))!.id, 'ci');
    await expect(setOwnPassword(db, 'bob', 'short', sessionIdFromToken(here))).rejects.toThrow('at least 8');
    await setOwnPassword(db, 'bob', 'a new password', sessionIdFromToken(here));
    expect(await verifyPassword((await findUser(db, 'bob'))!.passwordHash, 'a new password')).toBe(true);
    expect(await loggedIn(here)).toBe(true);
    expect(await loggedIn(there)).toBe(false);
    expect(await authenticateApiToken(db, api)).toMatchObject({ username: 'bob' });
  });

  it('a reset ends every session and revokes the API tokens', async () => {
    await add('bob');
    const token = await login('bob');
    const id = (await findUser(db, 'bob'))!.id;
    const apis = [await createApiToken(db, id, 'ci'), await createApiToken(db, id, 'laptop')];
    const { user, tokens } = await resetPassword(db, 'bob', 'a new password');
    expect(user.username).toBe('bob');
    expect(tokens).toBe(2);
    expect(await verifyPassword((await findUser(db, 'bob'))!.passwordHash, 'a new password')).toBe(true);
    expect(await loggedIn(token)).toBe(false);
    for (const api of apis) expect(await authenticateApiToken(db, api)).toBeUndefined();
    expect((await resetPassword(db, 'bob', 'yet another one')).tokens).toBe(0);
  });
});
