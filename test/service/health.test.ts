/** Readiness in this process: what a supervisor learns, and nothing more. */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { readiness } from '../../src/server/health.ts';
import { migrations } from '../../src/server/migrations.ts';
import { authenticateRunner, createRunnerToken, touchRunner } from '../../src/server/runners.ts';
import { localApp, type LocalApp } from '../helpers/in-process.ts';

let local: LocalApp;
beforeEach(async () => {
  local = await localApp();
});
afterEach(() => local?.close());

const LATEST = Math.max(...migrations.map((m) => m.version));
// The version before it (numbers may skip: each feature takes its own).
const PREVIOUS = Math.max(...migrations.map((m) => m.version).filter((v) => v < LATEST));

describe('readiness', () => {
  it('is ready on a migrated database with a live config, and counts runners and the Git backlog', async () => {
    expect(await readiness(local.app)).toEqual({
      ready: true,
      database: { ok: true, schema: LATEST, expected: LATEST },
      config: { state: 'live', problems: 0 },
      runners: { active: 0, online: 0 },
      git: { pending: 0, conflicts: 0, proposed: 0, oldest_pending_seconds: null },
      notifications: { pending: 0, failed: 0 },
      app_processes: 0,
    });
    await createRunnerToken(local.app.db, 'idle');
    const token = await createRunnerToken(local.app.db, 'busy');
    await touchRunner(local.app.db, (await authenticateRunner(local.app.db, token))!, { hostname: 'h', version: '1' });
    expect((await readiness(local.app)).runners).toEqual({ active: 2, online: 1 });
  });

  it('is not ready on a database behind this version, and says only that', async () => {
    await local.app.db.write({ sql: 'DELETE FROM schema_migrations WHERE version = ?', args: [LATEST] });
    const r = await readiness(local.app);
    expect(r).toMatchObject({ ready: false, database: { ok: false, schema: PREVIOUS, error: `the database is at schema ${PREVIOUS}, this Switchyard needs ${LATEST}: restart it so that its migrations run` }, runners: null, git: null });
  });

  it('is not ready when a migration below the latest is missing', async () => {
    await local.app.db.write({ sql: 'DELETE FROM schema_migrations WHERE version = ?', args: [PREVIOUS] });
    expect((await readiness(local.app)).database).toEqual({ ok: false, schema: LATEST, expected: LATEST, error: `migration ${PREVIOUS} of this Switchyard is not applied: restart it so that its migrations run` });
  });

  it('stays ready on the last good config when the file turns bad, and counts its problems without naming them', async () => {
    await local.app.config.current();
    writeFileSync(join(local.dir, 'config.yaml'), 'toplevel_title: x\npages: []\nnope: 1\n');
    await new Promise((r) => setTimeout(r, 1100)); // the store looks at the file at most once a second
    const r = await readiness(local.app);
    expect(r.ready).toBe(true);
    expect(r.config.state).toBe('last_good');
    expect(r.config.problems).toBeGreaterThan(0);
    expect(JSON.stringify(r)).not.toContain(local.dir);
  });
});
