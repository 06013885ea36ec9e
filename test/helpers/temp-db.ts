/**
 * A real, migrated libSQL database in a temporary file, for tests that call
 * the services in-process: no built server, no child process.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileUrl, migrate, openDatabase, type Database } from '../../src/server/db.ts';

export async function tempDatabase(): Promise<{ db: Database; url: string; close: () => void }> {
  const dir = mkdtempSync(join(tmpdir(), 'switchyard-service-'));
  const url = fileUrl(join(dir, 'test.db'));
  const db = await openDatabase(url);
  await migrate(db);
  return {
    db,
    url,
    close: () => {
      db.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
