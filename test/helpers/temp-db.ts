/**
 * A real, migrated libSQL database in a temporary file, for tests that call
 * the services in-process: no built server, no child process.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileUrl, migrate, openDatabase, type Database } from '../../src/server/db.ts';

export async function tempDatabase(): Promise<{ db: Database; close: () => void }> {
  const dir = mkdtempSync(join(tmpdir(), 'switchyard-service-'));
  const db = await openDatabase(fileUrl(join(dir, 'test.db')));
  await migrate(db);
  return {
    db,
    close: () => {
      db.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
