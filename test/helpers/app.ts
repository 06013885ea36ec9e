/**
 * The app's services in this process, on a real libSQL file in a fresh
 * folder: no build, no server process. For the tests of services and of the
 * handlers that take a plain Request (test/service/).
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createApp, type App } from '../../src/server/app.ts';
import type { Viewer } from '../../src/server/auth/access.ts';
import type { Role } from '../../src/core/roles.ts';
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
