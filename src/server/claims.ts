/**
 * Claims on outbox rows (Git publications, notification deliveries): the app
 * process working on a row writes its identity and a deadline into it, and
 * renews the deadline while it works. Several processes on one database then
 * never work on one row at once, and a row held by a process that died is
 * taken over when the deadline passes, or at once when the process is known
 * to be gone.
 */
import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import type { Database } from './db.ts';

/** A claim lapses this long after it was taken or last renewed. */
export const CLAIM_MS = 30_000;
/** A new claim identity: host and pid tell a claim left by a dead process on this host; the rest, one worker from another. */
export function newClaim(): string {
  const id = `${hostname()} ${process.pid} ${randomBytes(6).toString('hex')}`;
  LIVE.add(id);
  return id;
}

/** The identities this process has handed out: the claims of its own live workers. */
const LIVE = new Set<string>();

/** The claim of this process's Git publisher. */
export const CLAIM = newClaim();

export interface Claimed {
  claim: string | null;
  claimedUntil: number;
}

/**
 * Whether a claim stops this process from working on the row: a live claim
 * of another process. A claim lapses at claimedUntil; a claim of a process
 * on this host that has exited (or of this pid in an earlier life, as after a
 * container restart) is dead at once.
 */
export function heldByOther(item: Claimed, now: number, mine: string = CLAIM): boolean {
  if (!item.claim || item.claimedUntil <= now || item.claim === mine) return false;
  const [host, pid] = item.claim.split(' ');
  if (host !== hostname()) return true;
  if (Number(pid) === process.pid) return LIVE.has(item.claim);
  try {
    process.kill(Number(pid), 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Keeps this process's claim on a row alive while the work takes its time; returns the function that stops it. */
export function renewing(db: Database, table: 'publications' | 'deliveries', key: 'change_id' | 'id', id: number, mine: string = CLAIM): () => void {
  const timer = setInterval(() => {
    void db.write({ sql: `UPDATE ${table} SET claimed_until = ? WHERE ${key} = ? AND claim = ?`, args: [Date.now() + CLAIM_MS, id, mine] }).catch(() => {});
  }, CLAIM_MS / 3);
  return () => clearInterval(timer);
}
