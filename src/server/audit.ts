/** The audit log: who did what, when and from where. */
import { csvRow } from '../core/csv.ts';
import type { Database, Transaction } from './db.ts';

export const AUDIT_ACTIONS = [
  'login', 'login_failed', 'logout', 'save', 'export', 'import', 'run_started', 'run_cancelled',
  'user_created', 'user_disabled', 'user_enabled', 'user_role_changed', 'user_password_reset', 'password_changed', 'session_ended',
  'runner_created', 'runner_rotated', 'runner_revoked', 'api_token_created', 'api_token_revoked', 'publish_anyway',
  'schedule_paused', 'schedule_resumed', 'retention_sweep', 'delivery_resent', 'notification_test', 'git_adopted', 'git_kept', 'git_refused',
] as const;
export type AuditAction = (typeof AUDIT_ACTIONS)[number];

export interface AuditEntry {
  action: AuditAction;
  userId?: number | null;
  username?: string;
  ip?: string;
  detail?: Record<string, unknown>;
}

/** The INSERT that records an entry, stamped now. */
export function auditStatement(entry: AuditEntry) {
  return {
    sql: 'INSERT INTO audit_log (at, user_id, username, action, ip, detail) VALUES (?, ?, ?, ?, ?, ?)',
    args: [new Date().toISOString(), entry.userId ?? null, (entry.username ?? '').slice(0, 64), entry.action, (entry.ip ?? '').slice(0, 64), JSON.stringify(entry.detail ?? {})],
  };
}

/** Records an entry: on its own, or inside an open write transaction so that it holds exactly when the rest does. */
export async function audit(db: Database | Transaction, entry: AuditEntry): Promise<void> {
  const stmt = auditStatement(entry);
  // Told apart by shape: the start command and the built bundle each load their own copy of db.ts.
  await ('commit' in db ? db.execute(stmt) : db.write(stmt));
}

export interface AuditRecord {
  id: number;
  at: string;
  username: string;
  action: string;
  ip: string;
  detail: Record<string, unknown>;
}

export interface AuditFilter {
  action?: string;
  user?: string;
  /** ISO dates (inclusive day bounds are the caller's business). */
  from?: string;
  to?: string;
  before?: number;
  limit?: number;
}

export async function listAudit(db: Database, f: AuditFilter = {}): Promise<{ entries: AuditRecord[]; more: boolean }> {
  const where: string[] = [];
  const args: (string | number)[] = [];
  if (f.action) (where.push('action = ?'), args.push(f.action));
  if (f.user) (where.push('username = ?'), args.push(f.user));
  if (f.from) (where.push('at >= ?'), args.push(f.from));
  if (f.to) (where.push('at < ?'), args.push(f.to));
  if (f.before) (where.push('id < ?'), args.push(f.before));
  const limit = Math.min(Math.max(f.limit ?? 100, 1), 100_000);
  const { rows } = await db.execute({
    sql: `SELECT id, at, username, action, ip, detail FROM audit_log ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY id DESC LIMIT ?`,
    args: [...args, limit + 1],
  });
  const entries = rows.slice(0, limit).map((r) => ({
    id: Number(r.id),
    at: String(r.at),
    username: String(r.username),
    action: String(r.action),
    ip: String(r.ip),
    detail: JSON.parse(String(r.detail)) as Record<string, unknown>,
  }));
  return { entries, more: rows.length > limit };
}

/** CSV with a header row; fields quoted, and cells that a spreadsheet would run as formulas defused. */
export function auditCsv(entries: AuditRecord[]): string {
  return csvRow(['id', 'at', 'user', 'action', 'ip', 'detail']) + entries.map((e) => csvRow([String(e.id), e.at, e.username, e.action, e.ip, JSON.stringify(e.detail)])).join('');
}

/** Deletes at most `limit` of the oldest entries recorded before `cutoff` (retention); how many went. */
export async function forgetAuditBefore(tx: Transaction, cutoff: string, limit: number): Promise<number> {
  const del = await tx.execute({ sql: 'DELETE FROM audit_log WHERE id IN (SELECT id FROM audit_log WHERE at < ? ORDER BY at LIMIT ?)', args: [cutoff, limit] });
  return del.rowsAffected;
}
