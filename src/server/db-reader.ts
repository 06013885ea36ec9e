/**
 * Reads on a local database file through prepared statements that are kept
 * and reused. The libSQL client prepares every statement anew and builds
 * each row column by column; under page GETs that was the largest share of
 * the server's time after rendering. This connection keeps one prepared
 * statement per SQL text (the app has a few dozen) on the same embedded
 * driver the client uses underneath, and answers in the client's shape:
 * rows as objects by column name (the driver already gives blobs as
 * ArrayBuffers), failures as the client's errors so that the fault handling
 * in db.ts reads them the same.
 */
import { createRequire } from 'node:module';
import type { InStatement, InValue, ResultSet } from '@libsql/client';

// The driver @libsql/client itself loads for local files: CommonJS, without its own ESM entry.
const Libsql = createRequire(import.meta.url)('libsql') as new (path: string, opts: { timeout: number }) => LibsqlDatabase;

interface LibsqlStatement {
  readonly reader: boolean;
  all(args: unknown[]): Record<string, unknown>[];
  get(args: unknown[]): Record<string, unknown> | undefined;
  run(args: unknown[]): { changes: number; lastInsertRowid: number | bigint };
}
interface LibsqlDatabase {
  prepare(sql: string): LibsqlStatement;
  close(): void;
}

/** Statements kept; past this (the app's own set is far smaller) the cache starts again. */
const MAX_STATEMENTS = 500;

/** The database file a `file:` URL names, or undefined for anything this reader does not serve (memory, remote, options). */
export function localPath(url: string): string | undefined {
  if (!url.startsWith('file:') || url.includes(':memory:') || url.includes('?')) return undefined;
  return url.startsWith('file://') ? decodeURIComponent(new URL(url).pathname) : url.slice('file:'.length);
}

function bindable(v: InValue | undefined): unknown {
  if (v === undefined) return null;
  if (typeof v === 'boolean') return v ? 1 : 0;
  if (v instanceof ArrayBuffer) return Buffer.from(v);
  if (v instanceof Date) return v.valueOf();
  return v;
}

/** The driver's error as the client would have raised it (name LibsqlError, the SQLite code). */
function asClientError(e: unknown): Error {
  const err = e as { code?: string; message?: string };
  return Object.assign(new Error(err.message ?? String(e), { cause: e }), { name: 'LibsqlError', code: err.code ?? 'UNKNOWN', extendedCode: err.code });
}

/** A kept statement, with whether it reads (asking the driver costs a native call each time). */
type Kept = { statement: LibsqlStatement; reads: boolean };

export class StatementReader {
  private readonly db: LibsqlDatabase;
  private readonly statements = new Map<string, Kept>();
  /** Writes made on this connection: its own data_version does not count them. */
  private writes = 0;
  private dataVersion: LibsqlStatement | undefined;

  constructor(path: string, timeoutMs: number) {
    this.db = new Libsql(path, { timeout: timeoutMs });
  }

  execute(stmt: InStatement): ResultSet {
    const sql = typeof stmt === 'string' ? stmt : stmt.sql;
    const raw = typeof stmt === 'string' ? [] : (stmt.args ?? []);
    if (!Array.isArray(raw)) throw new Error('named arguments are not used by this app');
    try {
      let kept = this.statements.get(sql);
      if (!kept) {
        if (this.statements.size >= MAX_STATEMENTS) this.statements.clear();
        const statement = this.db.prepare(sql);
        kept = { statement, reads: statement.reader };
        this.statements.set(sql, kept);
      }
      const prepared = kept.statement;
      const args = raw.map(bindable);
      if (!kept.reads) {
        this.writes++;
        const r = prepared.run(args);
        return { rows: [], columns: [], columnTypes: [], rowsAffected: r.changes, lastInsertRowid: BigInt(r.lastInsertRowid), toJSON: () => ({}) } as unknown as ResultSet;
      }
      const rows = prepared.all(args);
      return { rows, columns: [], columnTypes: [], rowsAffected: 0, lastInsertRowid: undefined, toJSON: () => ({}) } as unknown as ResultSet;
    } catch (e) {
      throw asClientError(e);
    }
  }

  /**
   * Changes whenever the database may have changed since the last call: SQLite's
   * data_version moves when any other connection commits (this process's writer
   * or another process), and the count of writes made here covers this one.
   */
  version(): [number, number] {
    try {
      // get, not all: the driver's all() costs about 20 µs more, for the one row as for many.
      this.dataVersion ??= this.db.prepare('PRAGMA data_version');
      return [Number(this.dataVersion.get([])!.data_version), this.writes];
    } catch (e) {
      throw asClientError(e);
    }
  }

  close(): void {
    this.statements.clear();
    this.db.close();
  }
}
