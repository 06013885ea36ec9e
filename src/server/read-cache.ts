/**
 * Results of reads kept while the database is unchanged, for the reads that
 * repeat from one request to the next (the session and its user, a page's
 * current values): each was a read transaction of its own, the largest part
 * of the driver's share of a page GET.
 *
 * Several app processes may share the database file, so whether it changed
 * is asked of SQLite, not remembered here: the reading connection's
 * data_version moves whenever any other connection commits, this process's
 * writer or another process (see StatementReader.version). A request reads it
 * once, at its first read, which comes after the request arrived; so any save
 * that was answered before, here or in another process, is seen, and a kept
 * result is only used by requests that read the same version.
 */
import type { InStatement, ResultSet } from '@libsql/client';

/** What a request reads through: the same `execute` as the database. */
export interface Reads {
  execute(stmt: InStatement): Promise<ResultSet>;
}

/** Results kept at most; past this (sessions of many people, say) the cache starts again. */
const MAX_RESULTS = 2000;

type Version = [number, number];

/** Both counters only grow, so a version is newer when neither is smaller and they differ. */
function newer(a: Version, b: Version | undefined): boolean {
  return !b || (a[0] >= b[0] && a[1] >= b[1] && (a[0] !== b[0] || a[1] !== b[1]));
}

const same = (a: Version, b: Version | undefined) => !!b && a[0] === b[0] && a[1] === b[1];

function keyOf(stmt: InStatement): string {
  return typeof stmt === 'string' ? stmt : `${stmt.sql}\u0000${JSON.stringify(stmt.args ?? [])}`;
}

/** Frozen, as every request that reads the same version shares it: a caller that changed a row would throw. */
function frozen(result: ResultSet): ResultSet {
  for (const row of result.rows) Object.freeze(row);
  Object.freeze(result.rows);
  return Object.freeze(result);
}

export class ReadCache {
  private version: Version | undefined;
  /** Snapshots made so far: each takes the next number, its ticket. */
  private issued = 0;
  /** The latest check, and the tickets it covers: those of the snapshots made before it began. */
  private checked: { covers: number; version: Promise<Version> } | undefined;
  private readonly results = new Map<string, Promise<ResultSet>>();

  private readonly versionNow: () => Promise<Version>;
  private readonly read: (stmt: InStatement) => Promise<ResultSet>;
  private readonly writesNow: () => number;

  /** `writesNow`: how many writes of this process have ended, whether they committed or not. */
  constructor(versionNow: () => Promise<Version>, read: (stmt: InStatement) => Promise<ResultSet>, writesNow: () => number) {
    this.versionNow = versionNow;
    this.read = read;
    this.writesNow = writesNow;
  }

  /**
   * The reads of one request; the version is read at the first of them, and
   * again after a write of this process (the request's own save, say), so a
   * request never reads past what it wrote itself.
   */
  snapshot(): Reads {
    let version: Promise<Version> | undefined;
    let writes = this.writesNow();
    let ticket = ++this.issued;
    return {
      execute: async (stmt) => {
        if (writes !== this.writesNow()) {
          writes = this.writesNow();
          ticket = ++this.issued;
          version = undefined;
        }
        version ??= this.versionFor(ticket);
        const at = await version;
        if (newer(at, this.version)) {
          this.version = at;
          this.results.clear();
        }
        // A request that read an older version than the cache's now reads for itself.
        if (!same(at, this.version)) return this.read(stmt);
        return this.kept(stmt);
      },
    };
  }

  /**
   * The version for the snapshot holding `ticket`: a check that began after
   * the snapshot was made saw every commit made before it, so requests served
   * together share one check; otherwise a check of its own.
   */
  private versionFor(ticket: number): Promise<Version> {
    if (this.checked && this.checked.covers >= ticket) return this.checked.version;
    const check = { covers: this.issued, version: this.versionNow() };
    // A failed check is not shared.
    check.version.catch(() => this.checked === check && (this.checked = undefined));
    if (!this.checked || check.covers > this.checked.covers) this.checked = check;
    return check.version;
  }

  private kept(stmt: InStatement): Promise<ResultSet> {
    const key = keyOf(stmt);
    let result = this.results.get(key);
    if (!result) {
      if (this.results.size >= MAX_RESULTS) this.results.clear();
      // Kept as a promise, so that requests arriving together share one read; a failed read is not kept.
      result = this.read(stmt).then(frozen);
      result.catch(() => this.results.get(key) === result && this.results.delete(key));
      this.results.set(key, result);
    }
    return result;
  }
}
