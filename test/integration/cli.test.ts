/** The user command, run as the README runs it, against a real database file. */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Client } from '../helpers/client.ts';
import { EXAMPLE_CONFIG, runUserCommand, startServer } from '../helpers/server.ts';

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'switchyard-cli-'));
  writeFileSync(join(dir, 'config.yaml'), EXAMPLE_CONFIG);
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('npm run user', () => {
  it('adds, lists and removes users', async () => {
    expect(await runUserCommand(dir, ['add', 'carol', '--role', 'editor', '--password-stdin', '--email', 'carol@example.org'], 'carol-password\n')).toMatchObject({
      code: 0,
      stdout: 'Created editor "carol".\n',
    });
    expect((await runUserCommand(dir, ['add', 'dave', '--role', 'viewer', '--password-stdin'], 'dave-password')).code).toBe(0);
    expect((await runUserCommand(dir, ['list'])).stdout).toBe('carol\teditor\tcarol@example.org\ndave\tviewer\t\n');
    expect(await runUserCommand(dir, ['remove', 'dave'])).toMatchObject({ code: 0, stdout: 'Removed "dave".\n' });
    expect((await runUserCommand(dir, ['list'])).stdout).toBe('carol\teditor\tcarol@example.org\n');
  });

  it.each([
    [['add', 'erin', '--role', 'boss', '--password-stdin'], 'erin-password', 'Error: Role must be one of viewer, operator, editor, admin; got "boss".'],
    [['add', 'erin', '--role', 'editor', '--password-stdin'], 'short', 'Error: Password must be at least 8 characters.'],
    [['add', '../erin', '--role', 'editor', '--password-stdin'], 'erin-password', 'Error: Username must be 1 to 64 letters, digits, ".", "_" or "-", starting with a letter or digit.'],
    [['add', 'erin', '--password-stdin'], 'erin-password', 'Error: add needs a name and --role.'],
    [['passwd', 'nobody', '--password-stdin'], 'new-password', 'Error: No user named "nobody".'],
    [['remove', 'nobody'], '', 'Error: No user named "nobody".'],
    [['frobnicate'], '', 'Error: Unknown command "frobnicate".'],
  ])('refuses %j with a clear message and exit code 2', async (args, stdin, message) => {
    const r = await runUserCommand(dir, args, stdin);
    expect(r.code).toBe(2);
    expect(r.stderr.split('\n')[0]).toBe(message);
  });

  it('keeps the last active admin, as the admin pages do', async () => {
    expect((await runUserCommand(dir, ['add', 'boss', '--role', 'admin', '--password-stdin'], 'boss-password')).code).toBe(0);
    expect(await runUserCommand(dir, ['remove', 'boss'])).toMatchObject({ code: 2, stderr: 'Error: "boss" is the last active admin; make someone else admin before removing it.\n' });
    expect((await runUserCommand(dir, ['add', 'deputy', '--role', 'admin', '--password-stdin'], 'deputy-password')).code).toBe(0);
    expect(await runUserCommand(dir, ['remove', 'boss'])).toMatchObject({ code: 0, stdout: 'Removed "boss".\n' });
    expect((await runUserCommand(dir, ['list'])).stdout).toContain('deputy\tadmin');
  });

  it('refuses a second user of the same name, in any case', async () => {
    await runUserCommand(dir, ['add', 'frank', '--role', 'viewer', '--password-stdin'], 'frank-password');
    const r = await runUserCommand(dir, ['add', 'FRANK', '--role', 'viewer', '--password-stdin'], 'frank-password');
    expect(r).toMatchObject({ code: 2, stderr: 'Error: User "FRANK" already exists.\n' });
  });

  it('changes a password and ends that user\'s sessions', async () => {
    const s = await startServer({ users: [{ name: 'gina', role: 'editor', password: 'gina-password' }] });
    try {
      const c = new Client(s.url);
      await c.login('gina', 'gina-password');
      expect((await c.get('/')).status).toBe(200);
      const r = await runUserCommand(s.dir, ['passwd', 'gina', '--password-stdin'], 'gina-new-password\n');
      expect(r).toMatchObject({ code: 0, stdout: 'Password of "gina" changed; their sessions were ended.\n' });
      expect((await c.get('/')).status).toBe(303);
      expect((await new Client(s.url).post('/login', { username: 'gina', password: 'gina-password' })).status).toBe(401);
      await new Client(s.url).login('gina', 'gina-new-password');
    } finally {
      await s.stop();
    }
  });
});
