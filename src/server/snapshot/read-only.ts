/**
 * The snapshot's connection to the database: reads only, and for a local
 * file SQLite itself refuses any write on it (query_only), so the command
 * cannot change what the app serves, whatever a read path does. Nothing is
 * migrated and no journal mode is set, unlike the app's own openDatabase.
 */
import { existsSync } from 'node:fs';
import { createClient } from '@libsql/client';
import type { Executor } from '../db.ts';
import { localPath, StatementReader } from '../db-reader.ts';
import { Refused } from '../refused.ts';
import type { Settings } from '../settings.ts';

export interface ReadOnly {
  reads: Executor;
  close: () => void;
}

export function openReadOnly(settings: Pick<Settings, 'dbUrl' | 'dbAuthToken' | 'dbBusyMs'>): ReadOnly {
  const path = localPath(settings.dbUrl);
  if (path === undefined) {
    // A libSQL server: its client only ever gets the reads below.
    const client = createClient({ url: settings.dbUrl, authToken: settings.dbAuthToken });
    return { reads: client, close: () => client.close() };
  }
  // Checked first: the driver would create an empty database in its place.
  if (!existsSync(path)) throw new Refused('not_found', `there is no database at ${path} (SWITCHYARD_DATA_DIR / SWITCHYARD_DB_URL): start the app once, or point these at its data`);
  // A command may wait for a lock by blocking (no requests share its event loop); reads in WAL mode seldom do.
  const reader = new StatementReader(path, settings.dbBusyMs);
  reader.execute('PRAGMA query_only = 1');
  return { reads: { execute: async (stmt) => reader.execute(stmt) }, close: () => reader.close() };
}
