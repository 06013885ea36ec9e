/** The libSQL connection and the migrations that run before anything else touches it. */
import { mkdirSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { createClient, type Client } from '@libsql/client';
import { migrations as allMigrations, type Migration } from './migrations.ts';

export type { Client };

/** A `file:` URL for a local database path, creating its folder. */
export function fileUrl(path: string): string {
  const absolute = resolve(path);
  mkdirSync(dirname(absolute), { recursive: true });
  return `file:${absolute}`;
}

export async function openDatabase(url: string, authToken?: string): Promise<Client> {
  // The timeout lets concurrent writers wait for the lock instead of failing with SQLITE_BUSY.
  const client = createClient({ url, authToken, timeout: 5000 });
  if (url.startsWith('file:')) await client.execute('PRAGMA journal_mode = WAL');
  return client;
}

/** Applies pending migrations, each in its own write transaction; safe when several instances start at once. */
export async function migrate(db: Client, list: Migration[] = allMigrations): Promise<number[]> {
  await db.execute('CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL)');
  const applied: number[] = [];
  for (const m of [...list].sort((a, b) => a.version - b.version)) {
    const tx = await db.transaction('write');
    try {
      const done = await tx.execute({ sql: 'SELECT 1 FROM schema_migrations WHERE version = ?', args: [m.version] });
      if (done.rows.length === 0) {
        await tx.executeMultiple(m.sql);
        await tx.execute({ sql: 'INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)', args: [m.version, m.name, new Date().toISOString()] });
        applied.push(m.version);
      }
      await tx.commit();
    } finally {
      tx.close();
    }
  }
  return applied;
}
