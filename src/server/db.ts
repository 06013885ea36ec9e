/** The libSQL connection and the migrations that run before anything else touches it. */
import { mkdirSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { createClient, type Client, type LibsqlError, type InStatement, type ResultSet, type Transaction } from '@libsql/client';
import { migrations as allMigrations, type Migration } from './migrations.ts';
import { localPath, StatementReader } from './db-reader.ts';
import { MAX_GROUP, runGroup, type Member } from './group-commit.ts';
import { ReadCache, type Reads } from './read-cache.ts';

export type { Transaction };

/** A `file:` URL for a local database path, creating its folder. */
export function fileUrl(path: string): string {
  const absolute = resolve(path);
  mkdirSync(dirname(absolute), { recursive: true });
  return `file:${absolute}`;
}

/** How long a write waits for another process's lock before giving up, unless the settings say otherwise. */
export const DEFAULT_BUSY_MS = 5000;

export type DatabaseFaultKind = 'busy' | 'full' | 'io';

const FAULT_MESSAGES: Record<DatabaseFaultKind, string> = {
  busy: 'The database is busy (another process is writing); nothing was saved. Try again in a few seconds.',
  full: 'The disk holding the database is full; nothing was saved. Free some space on it, then try again.',
  io: 'The database could not be read or written (an I/O error); nothing was saved. Check its disk and the server log, then try again.',
};

/** The same faults met while only reading: nothing was being saved. */
const READ_FAULT_MESSAGES: Record<DatabaseFaultKind, string> = {
  busy: 'The database is busy (another process holds it); try again in a few seconds.',
  full: 'The disk holding the database is full. Free some space on it, then try again.',
  io: 'The database could not be read (an I/O error). Check its disk and the server log, then try again.',
};

/**
 * The database refused the work for a reason outside this request: another
 * process held the write lock past the deadline, the disk is full, or the
 * disk failed. Whatever the work was, it was rolled back as a whole. The
 * HTTP edge shows it as "try again", never as a bug.
 */
export class DatabaseUnavailable extends Error {
  readonly kind: DatabaseFaultKind;
  /** Met while only reading: nothing was being saved (the pages say it in the person's language from kind and this). */
  readonly reading: boolean;
  constructor(kind: DatabaseFaultKind, cause?: unknown, reading = false) {
    super((reading ? READ_FAULT_MESSAGES : FAULT_MESSAGES)[kind], { cause });
    this.name = 'DatabaseUnavailable';
    this.kind = kind;
    this.reading = reading;
  }
}

/** An error of the libSQL driver, told by name as it may come from another copy of the driver. */
function driverError(e: unknown): e is LibsqlError {
  return e instanceof Error && e.name.startsWith('Libsql');
}

function sqliteCode(e: unknown): string {
  return driverError(e) ? `${e.code} ${e.extendedCode ?? ''}` : '';
}

const isBusy = (e: unknown) => /\bSQLITE_(BUSY|LOCKED)/.test(sqliteCode(e));

/** The fault an error stands for, or undefined for anything else (a bug, a constraint, …). */
export function databaseFault(e: unknown, reading = false): DatabaseUnavailable | undefined {
  // By name, not instanceof: the start command and the built bundle each load their own copy of this module.
  if (e instanceof Error && e.name === 'DatabaseUnavailable' && 'kind' in e) return e as DatabaseUnavailable;
  const code = sqliteCode(e);
  if (/\bSQLITE_(BUSY|LOCKED)/.test(code)) return new DatabaseUnavailable('busy', e, reading);
  if (/\bSQLITE_FULL/.test(code)) return new DatabaseUnavailable('full', e, reading);
  if (/\bSQLITE_(IOERR|CANTOPEN)/.test(code)) return new DatabaseUnavailable('io', e, reading);
  return undefined;
}

/** How long SQLite itself may wait for a lock: short, because it waits by blocking the whole process. */
const SQLITE_WAIT_MS = 5;

/**
 * The database: a client for reads and one connection for writes, which
 * every write of this process takes in turn (one queue).
 *
 * Why: the embedded driver runs SQLite synchronously, so a wait inside
 * SQLite freezes the event loop and every request of the app with it, static
 * files included. SQLite therefore waits only a few milliseconds for a lock;
 * the real wait for another process's write lock happens here, on timers
 * between attempts, until `busyMs` after the write was asked for, and then
 * ends in DatabaseUnavailable. Queued, the writes of this process never wait
 * for each other inside SQLite.
 *
 * A statement that failed (on a lock, a full disk …) stays open inside the
 * driver until it is garbage-collected, and while it does every COMMIT on its
 * connection fails with "SQL statements in progress". So after any failed
 * write the write connection is replaced before the next one.
 *
 * Reads need no queue: in WAL mode they never wait for a writer.
 */
export class Database {
  /** Reads; writes go through `write`, `batch`, `transaction` and `grouped`. */
  readonly client: Client;
  private readonly writer: Client;
  private readonly busyMs: number;
  private queue: Promise<unknown> = Promise.resolve();
  /** The group of `grouped` transactions waiting for its turn, which newcomers join. */
  private forming: Member[] | undefined;
  /** Writes of this process that have ended, for the reads of a request that wrote (read-cache.ts). */
  private writesEnded = 0;

  /** Reads on a local file, with prepared statements kept (db-reader.ts); otherwise reads go through `client`. */
  private readonly reader: StatementReader | undefined;

  /** Results kept while the database is unchanged; only on a local file, where SQLite can say when it changed. */
  private readonly cache: ReadCache | undefined;

  constructor(client: Client, writer: Client = client, busyMs = DEFAULT_BUSY_MS, reader?: StatementReader) {
    this.client = client;
    this.writer = writer;
    this.busyMs = busyMs;
    this.reader = reader;
    this.cache = reader && new ReadCache(() => this.reading(async () => reader.version()), (stmt) => this.execute(stmt), () => this.writesEnded);
  }

  /** A read. */
  execute(stmt: InStatement): Promise<ResultSet> {
    const reader = this.reader;
    return this.reading(reader ? async () => reader.execute(stmt) : () => this.client.execute(stmt));
  }

  /**
   * The reads of one request, answered from results kept while the database
   * has not changed since the request's first read (read-cache.ts); plain
   * reads on a database that is not a local file.
   */
  snapshot(): Reads {
    return this.cache?.snapshot() ?? this;
  }

  /** One writing statement. */
  write(stmt: InStatement): Promise<ResultSet> {
    return this.writing((deadline) => this.untilFree(deadline, () => this.writer.execute(stmt), () => this.freshWriter()));
  }

  /** Several writing statements, all or none. */
  batch(stmts: InStatement[]): Promise<ResultSet[]> {
    return this.writing((deadline) => this.untilFree(deadline, () => this.writer.batch(stmts, 'write'), () => this.freshWriter()));
  }

  /**
   * A write transaction (BEGIN IMMEDIATE). `work` must commit; anything it
   * leaves uncommitted, by returning early or throwing, is rolled back.
   */
  transaction<T>(work: (tx: Transaction) => Promise<T>): Promise<T> {
    return this.writing(async (deadline) => {
      const tx = await this.untilFree(deadline, () => this.writer.transaction('write'), () => this.freshWriter());
      try {
        return await work(tx);
      } finally {
        tx.close();
      }
    });
  }

  /**
   * A write transaction that shares its COMMIT with the other grouped
   * transactions waiting for their turn at the same moment (group-commit.ts).
   * Same contract as `transaction`, and one more: `work` may run more than
   * once, so it does nothing but database work through `tx`.
   */
  grouped<T>(work: (tx: Transaction) => Promise<T>): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const member: Member = { work, resolve: resolve as (v: unknown) => void, reject };
      if (this.forming && this.forming.length < MAX_GROUP) this.forming.push(member);
      else this.startGroup([member]);
    });
  }

  /** Queues a group; members that ask before its turn comes join it. */
  private startGroup(members: Member[]): void {
    this.forming = members;
    void this.writing(async (deadline) => {
      if (this.forming === members) this.forming = undefined;
      let tx: Transaction;
      try {
        tx = await this.untilFree(deadline, () => this.writer.transaction('write'), () => this.freshWriter());
      } catch (e) {
        for (const m of members) m.reject(databaseFault(e) ?? e);
        return;
      }
      try {
        // Counted before any member hears of its commit, so the member's next read looks again (read-cache.ts).
        const outcome = await runGroup(tx, members, driverError, (e) => databaseFault(e) ?? e, () => this.writesEnded++);
        if (outcome.brokenConnection) this.freshWriter();
        if (outcome.again.length) this.startGroup(outcome.again);
      } catch (e) {
        // Not expected (runGroup answers every member); if it happens, no caller is left waiting. Settled ones ignore this.
        this.freshWriter();
        for (const m of members) m.reject(databaseFault(e) ?? e);
      } finally {
        tx.close();
      }
    });
  }

  close(): void {
    this.reader?.close();
    this.client.close();
    if (this.writer !== this.client) this.writer.close();
  }

  private reading<T>(read: () => Promise<T>): Promise<T> {
    return this.untilFree(Date.now() + this.busyMs, read).catch((e) => {
      throw databaseFault(e, true) ?? e;
    });
  }

  /** Runs a write in its turn; a failure leaves a fresh write connection behind and reads as a fault when it is one. */
  private writing<T>(fn: (deadline: number) => Promise<T>): Promise<T> {
    // Counted from now, not from its turn: writes queued behind one that waits do not each wait again.
    const deadline = Date.now() + this.busyMs;
    return this.exclusive(async () => {
      try {
        return await fn(deadline);
      } catch (e) {
        if (driverError(e)) this.freshWriter();
        return rethrowFault(e);
      } finally {
        this.writesEnded++;
      }
    });
  }

  /**
   * Tries `attempt` until no lock refuses it, pausing on timers (so the event
   * loop keeps serving) with a growing pause, until the deadline. A refused
   * attempt has changed nothing, so trying again is safe.
   */
  private async untilFree<T>(deadline: number, attempt: () => Promise<T>, afterBusy?: () => void): Promise<T> {
    for (let pause = 5; ; pause = Math.min(pause * 2, 100)) {
      try {
        return await attempt();
      } catch (e) {
        if (!isBusy(e)) throw e;
        afterBusy?.();
        if (Date.now() >= deadline) throw e;
        await sleep(Math.min(pause, deadline - Date.now()));
      }
    }
  }

  /** Drops the write connection (and any statement a failure left open on it); the next write opens a new one. */
  private freshWriter(): void {
    // A database of one connection (in memory) would be lost with it; nothing else can lock it anyway.
    if (this.writer !== this.client) this.writer.reconnect();
  }

  private exclusive<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.queue.then(fn, fn);
    this.queue = run.catch(() => undefined);
    return run;
  }
}

function rethrowFault(e: unknown): never {
  throw databaseFault(e) ?? e;
}

/** What a read needs: the database itself or an open transaction. */
export type Executor = Pick<Database | Transaction, 'execute'>;

export async function openDatabase(url: string, authToken?: string, busyMs = DEFAULT_BUSY_MS): Promise<Database> {
  const client = createClient({ url, authToken, timeout: SQLITE_WAIT_MS });
  // An in-memory database exists only on the connection that made it: there, one client does both.
  const writer = url.includes(':memory:') ? client : createClient({ url, authToken, timeout: SQLITE_WAIT_MS, concurrency: 1 });
  const path = localPath(url);
  const db = new Database(client, writer, busyMs, path ? new StatementReader(path, SQLITE_WAIT_MS) : undefined);
  if (url.startsWith('file:')) await db.execute('PRAGMA journal_mode = WAL');
  return db;
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
