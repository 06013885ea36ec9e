/**
 * An app in this process on a fresh libSQL file and the example config: for
 * tests of the services and handlers without a built server or a child
 * process. Each call gets its own database.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { createApp, type App } from '../../src/server/app.ts';
import { authenticateRunner, createRunnerToken, type RunnerRecord } from '../../src/server/runners.ts';
import { createRun } from '../../src/server/runs/queue.ts';
import type { RunView } from '../../src/server/runs/read.ts';
import { readSettings } from '../../src/server/settings.ts';
import { createUser } from '../../src/server/users.ts';

const CONFIG = resolve(import.meta.dirname, '../../config.yaml');

export interface TestApp {
  app: App;
  user: { id: number; username: string };
  close(): void;
}

export async function inProcessApp(): Promise<TestApp> {
  const dir = mkdtempSync(join(tmpdir(), 'switchyard-service-'));
  const app = await createApp(readSettings({ SWITCHYARD_CONFIG: CONFIG, SWITCHYARD_DATA_DIR: dir }));
  const { id, username } = await createUser(app.db, { username: 'olivia', password: 'a long enough password', role: 'operator' });
  return {
    app,
    user: { id, username },
    close() {
      app.db.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
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
