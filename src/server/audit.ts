/** The audit log: who did what, when and from where. */
import type { Database } from './db.ts';

export type AuditAction = 'login' | 'login_failed' | 'logout' | 'save' | 'export' | 'user_created' | 'run_started' | 'run_cancelled' | 'import';

export interface AuditEntry {
  action: AuditAction;
  userId?: number | null;
  username?: string;
  ip?: string;
  detail?: Record<string, unknown>;
}

export async function audit(db: Database, entry: AuditEntry): Promise<void> {
  await db.write({
    sql: 'INSERT INTO audit_log (at, user_id, username, action, ip, detail) VALUES (?, ?, ?, ?, ?, ?)',
    args: [new Date().toISOString(), entry.userId ?? null, (entry.username ?? '').slice(0, 64), entry.action, (entry.ip ?? '').slice(0, 64), JSON.stringify(entry.detail ?? {})],
  });
}
