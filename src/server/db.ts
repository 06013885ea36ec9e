/** The libSQL connection and the migrations that run before anything else touches it. */
import { mkdirSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { createClient, type Client, type InStatement, type ResultSet, type Transaction } from '@libsql/client';
import { migrations as allMigrations, type Migration } from './migrations.ts';

export type { Transaction };

/** A `file:` URL for a local database path, creating its folder. */
export function fileUrl(path: string): string {
  const absolute = resolve(path);
  mkdirSync(dirname(absolute), { recursive: true });
  return `file:${absolute}`;
}

/**
 * The database, with every write going through one queue per process.
 *
 * Why: the embedded driver runs SQLite synchronously. If two writes from this
 * process overlapped, the second would wait for the lock inside a blocking
 * call, freezing the event loop that the first needs in order to finish:
 * a self-deadlock that ends in SQLITE_BUSY after the timeout. Queued, a write
 * only ever waits for other processes, which is what the busy timeout is for.
 * Reads need no queue: in WAL mode they never wait for a writer.
 */
export class Database {
  readonly client: Client;
  private queue: Promise<unknown> = Promise.resolve();

  constructor(client: Client) {
    this.client = client;
  }

  /** A read. */
  execute(stmt: InStatement): Promise<ResultSet> {
    return this.client.execute(stmt);
  }

  /** One writing statement. */
  write(stmt: InStatement): Promise<ResultSet> {
    return this.exclusive(() => this.client.execute(stmt));
  }

  /** Several writing statements, all or none. */
  batch(stmts: InStatement[]): Promise<ResultSet[]> {
    return this.exclusive(() => this.client.batch(stmts, 'write'));
  }

  /**
   * A write transaction (BEGIN IMMEDIATE). `work` must commit; anything it
   * leaves uncommitted, by returning early or throwing, is rolled back.
   */
  transaction<T>(work: (tx: Transaction) => Promise<T>): Promise<T> {
    return this.exclusive(async () => {
      const tx = await this.client.transaction('write');
      try {
        return await work(tx);
      } finally {
        tx.close();
      }
    });
  }

  close(): void {
    this.client.close();
  }

  private exclusive<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.queue.then(fn, fn);
    this.queue = run.catch(() => undefined);
    return run;
  }
}

/** What a read needs: the database itself or an open transaction. */
export type Executor = Pick<Database | Transaction, 'execute'>;

export async function openDatabase(url: string, authToken?: string): Promise<Database> {
  // The timeout lets a writer wait for another process's lock instead of failing with SQLITE_BUSY.
  const client = createClient({ url, authToken, timeout: 5000 });
  if (url.startsWith('file:')) await client.execute('PRAGMA journal_mode = WAL');
  return new Database(client);
}

/** Applies pending migrations, each in its own write transaction; safe when several instances start at once. */
export async function migrate(db: Database, list: Migration[] = allMigrations): Promise<number[]> {
  await db.write('CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL)');
  const applied: number[] = [];
  for (const m of [...list].sort((a, b) => a.version - b.version)) {
    await db.transaction(async (tx) => {
      const done = await tx.execute({ sql: 'SELECT 1 FROM schema_migrations WHERE version = ?', args: [m.version] });
      if (done.rows.length > 0) return;
      await tx.executeMultiple(m.sql);
      await tx.execute({ sql: 'INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)', args: [m.version, m.name, new Date().toISOString()] });
      await tx.commit();
      applied.push(m.version);
    });
  }
  return applied;
}
