/** Runner accounts: tokens created by an admin, stored hashed, revocable. */
import { randomBytes } from 'node:crypto';
import { sha256 } from '@oslojs/crypto/sha2';
import { encodeHexLowerCase } from '@oslojs/encoding';
import type { Database, Executor, Transaction } from './db.ts';
import { endRunsOfRunnerIn, publishEndedRuns } from './runs/queue.ts';
import type { RunSignals } from './runs/notify.ts';
import { ENGLISH, type Translate } from '../core/i18n.ts';

export interface RunnerRecord {
  id: number;
  name: string;
  createdAt: string;
  revokedAt: string | null;
  lastSeenAt: string | null;
  hostname: string;
  version: string;
  /** What the runner said it has on its last claim (SWITCHYARD_RUNNER_LABELS). */
  labels: string[];
}

export class RunnerError extends Error {}

const NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;
const TOKEN_PREFIX = 'syr_';

function hashToken(token: string): string {
  return encodeHexLowerCase(sha256(new TextEncoder().encode(token)));
}

function toRunner(r: Record<string, unknown>): RunnerRecord {
  return {
    id: Number(r.id),
    name: String(r.name),
    createdAt: String(r.created_at),
    revokedAt: r.revoked_at == null ? null : String(r.revoked_at),
    lastSeenAt: r.last_seen_at == null ? null : String(r.last_seen_at),
    hostname: String(r.hostname ?? ''),
    version: String(r.version ?? ''),
    labels: JSON.parse(String(r.labels ?? '[]')) as string[],
  };
}

/**
 * Who took a token away, for the reason shown on the runs it ended; the app's
 * signals, to update live views at once; and what else to record in the same
 * transaction (the audit entry), so that a token change, the runs it ends and
 * its record hold together or not at all.
 */
export interface TokenChange {
  by?: string;
  signals?: RunSignals;
  alsoRecord?: (tx: Transaction) => Promise<void>;
}

/**
 * A runner whose token stops working cannot report its runs any more: they
 * end now, saying why, instead of lapsing into `lost` a lease later as if the
 * runner had gone silent.
 */
function endRunsOfChangedToken(tx: Transaction, runnerId: number, name: string, what: 'revoked' | 'replaced', change: TokenChange): Promise<number[]> {
  const reason = `runner ${name}'s token was ${what} by ${change.by ?? 'an admin'} while this ran; the runner stops the script when it next calls in, and cannot report how it ended`;
  return endRunsOfRunnerIn(tx, runnerId, reason);
}

/**
 * Creates a runner, or with `replace` gives an existing one a new token
 * (the old one stops working, and so do the runs it held). Returns the token: it is shown once.
 */
export async function createRunnerToken(db: Database, name: string, opts: { replace?: boolean } & TokenChange = {}): Promise<string> {
  if (!NAME.test(name)) throw new RunnerError('Runner name must be 1 to 64 letters, digits, ".", "_" or "-", starting with a letter or digit.');
  const token = TOKEN_PREFIX + randomBytes(24).toString('base64url');
  const ended = await db.transaction(async (tx) => {
    const existing = await tx.execute({ sql: 'SELECT id FROM runners WHERE name = ?', args: [name] });
    let ids: number[] = [];
    if (existing.rows[0]) {
      if (!opts.replace) throw new RunnerError(`Runner "${name}" already exists. Revoke it first, or use rotate to give it a new token.`);
      await tx.execute({ sql: 'UPDATE runners SET token_hash = ?, revoked_at = NULL WHERE name = ?', args: [hashToken(token), name] });
      ids = await endRunsOfChangedToken(tx, Number(existing.rows[0].id), name, 'replaced', opts);
    } else {
      await tx.execute({ sql: 'INSERT INTO runners (name, token_hash, created_at) VALUES (?, ?, ?)', args: [name, hashToken(token), new Date().toISOString()] });
    }
    await opts.alsoRecord?.(tx);
    await tx.commit();
    return ids;
  });
  await publishEndedRuns(db, opts.signals, ended);
  return token;
}

export async function revokeRunner(db: Database, name: string, change: TokenChange = {}): Promise<void> {
  const ended = await db.transaction(async (tx) => {
    const { rows } = await tx.execute({ sql: 'UPDATE runners SET revoked_at = ? WHERE name = ? AND revoked_at IS NULL RETURNING id', args: [new Date().toISOString(), name] });
    if (!rows[0]) throw new RunnerError(`No active runner named "${name}".`);
    const ids = await endRunsOfChangedToken(tx, Number(rows[0].id), name, 'revoked', change);
    await change.alsoRecord?.(tx);
    await tx.commit();
    return ids;
  });
  await publishEndedRuns(db, change.signals, ended);
}

export async function listRunners(db: Database): Promise<RunnerRecord[]> {
  const { rows } = await db.execute('SELECT * FROM runners ORDER BY name');
  return rows.map((r) => toRunner(r as Record<string, unknown>));
}

/** The runner a bearer token belongs to, or undefined for unknown and revoked tokens. */
export async function authenticateRunner(db: Database, token: string | undefined): Promise<RunnerRecord | undefined> {
  if (!token || !token.startsWith(TOKEN_PREFIX) || token.length > 128) return undefined;
  const { rows } = await db.execute({ sql: 'SELECT * FROM runners WHERE token_hash = ? AND revoked_at IS NULL', args: [hashToken(token)] });
  return rows[0] ? toRunner(rows[0] as Record<string, unknown>) : undefined;
}

/** Notes that a runner called in; written at most every few seconds per runner. */
export async function touchRunner(db: Database, runner: RunnerRecord, info?: { hostname: string; version: string; labels?: string[] }): Promise<void> {
  const now = Date.now();
  if (!info && runner.lastSeenAt && now - Date.parse(runner.lastSeenAt) < 5000) return;
  // A claim says all the runner's labels (none from a runner from before labels): they replace the stored ones.
  const labels = info ? [...(info.labels ?? [])].sort() : undefined;
  await db.write({
    sql: 'UPDATE runners SET last_seen_at = ?, hostname = coalesce(?, hostname), version = coalesce(?, version), labels = coalesce(?, labels) WHERE id = ?',
    args: [new Date(now).toISOString(), info?.hostname ?? null, info?.version ?? null, labels ? JSON.stringify(labels) : null, runner.id],
  });
  if (labels) runner.labels = labels;
}

/**
 * The labels of `runsOn` that no online runner has all of, or undefined when
 * some online runner has every one: why a run of a button with `runs_on:` would wait.
 */
export async function waitingForRunner(db: Executor, runsOn: readonly string[] | undefined, now = Date.now(), t: Translate = ENGLISH): Promise<string | undefined> {
  if (!runsOn?.length) return undefined;
  const { rows } = await db.execute({
    sql: 'SELECT labels FROM runners WHERE revoked_at IS NULL AND last_seen_at >= ?',
    args: [new Date(now - ONLINE_MS).toISOString()],
  });
  const able = rows.some((r) => {
    const has = new Set(JSON.parse(String(r.labels ?? '[]')) as string[]);
    return runsOn.every((l) => has.has(l));
  });
  return able ? undefined : t('run.waiting', { count: runsOn.length, labels: runsOn.join(', ') });
}

/** A runner counts as online when it called in within this long (it calls at least every few seconds while idle). */
export const ONLINE_MS = 60_000;

/** Whether a runner with a working token called in lately: the admin page and /readyz count the same way. */
export function isOnline(runner: Pick<RunnerRecord, 'revokedAt' | 'lastSeenAt'>, now = Date.now()): boolean {
  return !runner.revokedAt && !!runner.lastSeenAt && now - Date.parse(runner.lastSeenAt) < ONLINE_MS;
}

/** Runners with a working token, and how many of them called in lately. */
export async function runnerCounts(db: Database, now = Date.now()): Promise<{ active: number; online: number }> {
  const { rows } = await db.execute({
    sql: 'SELECT count(*) AS active, coalesce(sum(last_seen_at >= ?), 0) AS online FROM runners WHERE revoked_at IS NULL',
    args: [new Date(now - ONLINE_MS).toISOString()],
  });
  return { active: Number(rows[0]!.active), online: Number(rows[0]!.online) };
}
