/**
 * An app in this process on a fresh libSQL file and the example config: for
 * tests of the services and handlers without a built server or a child
 * process (test/service/). Each call gets its own folder and database.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Role } from '../../src/core/roles.ts';
import { createApp, type App } from '../../src/server/app.ts';
import type { Viewer } from '../../src/server/auth/access.ts';
import { authenticateRunner, createRunnerToken, type RunnerRecord } from '../../src/server/runners.ts';
import { createRun } from '../../src/server/runs/queue.ts';
import type { RunView } from '../../src/server/runs/read.ts';
import { readSettings } from '../../src/server/settings.ts';
import { createUser } from '../../src/server/users.ts';
import { EXAMPLE_CONFIG } from './server.ts';

export interface LocalApp {
  app: App;
  dir: string;
  /** A person with `role`, made on first use, as a Viewer. */
  as: (role: Role | 'anonymous') => Promise<Viewer>;
  close: () => void;
}

export async function localApp(config = EXAMPLE_CONFIG): Promise<LocalApp> {
  const dir = mkdtempSync(join(tmpdir(), 'switchyard-service-'));
  writeFileSync(join(dir, 'config.yaml'), config);
  mkdirSync(join(dir, 'data'));
  const app = await createApp(readSettings({ SWITCHYARD_CONFIG: join(dir, 'config.yaml'), SWITCHYARD_DATA_DIR: join(dir, 'data') }));
  const people = new Map<string, Viewer>();
  return {
    app,
    dir,
    async as(role) {
      if (role === 'anonymous') return { user: undefined, ip: '192.0.2.1' };
      if (!people.has(role)) {
        const u = await createUser(app.db, { username: `${role}-1`, password: `${role}-password`, role });
        people.set(role, { user: { id: u.id, username: u.username, displayName: '', email: '', role }, ip: '192.0.2.1' });
      }
      return people.get(role)!;
    },
    close() {
      app.db.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export interface TestApp {
  app: App;
  user: { id: number; username: string };
  close(): void;
}

/** An app with one operator, for the run tests. */
export async function inProcessApp(): Promise<TestApp> {
  const local = await localApp();
  const { id, username } = await createUser(local.app.db, { username: 'olivia', password: 'a long enough password', role: 'operator' });
  return { app: local.app, user: { id, username }, close: local.close };
}
/** Queues a run of a button of the example config (by default the backup). */
export async function queueRun(t: TestApp, slug = 'database-backup', button = 'run_backup'): Promise<RunView> {
  const live = await t.app.config.current();
  const page = live.config.pages.find((p) => p.slug === slug)!;
  const b = page.buttons.find((x) => x.name === button)!;
  return createRun(t.app.db, t.app.runs, { page, button: b, values: { mode: 'full' }, configRevision: live.revision, user: t.user });
}

/** A runner and its token. */
export async function addRunner(t: TestApp, name = 'r1'): Promise<{ runner: RunnerRecord; token: string }> {
  const token = await createRunnerToken(t.app.db, name);
  return { runner: (await authenticateRunner(t.app.db, token))!, token };
}
