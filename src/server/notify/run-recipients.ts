/**
 * The people a run's script asked to be told of its end (SWITCHYARD_NOTIFY_FILE),
 * as far as an email target allows them (its run_recipients): user names
 * become the address of that user's account (a disabled or address-less
 * account is skipped), and addresses count only in the target's domains.
 */
import type { Executor } from '../db.ts';

/** Addresses in one of these domains or below one (lab.example.edu allows a@lab.example.edu and a@cs.lab.example.edu). */
export function inDomains(address: string, domains: readonly string[]): boolean {
  const host = address.slice(address.lastIndexOf('@') + 1).toLowerCase();
  return domains.some((d) => host === d || host.endsWith(`.${d}`));
}

export async function runRecipients(ex: Executor, body: Record<string, unknown>, allow: { domains: string[] } | undefined): Promise<string[]> {
  const named = ((body.data as { run?: { notify?: unknown } } | undefined)?.run?.notify ?? []) as unknown;
  if (!allow || !Array.isArray(named) || named.length === 0) return [];
  const names = named.filter((n): n is string => typeof n === 'string');
  const addresses = names.filter((n) => n.includes('@') && inDomains(n, allow.domains));
  const users = names.filter((n) => !n.includes('@'));
  if (users.length) {
    const { rows } = await ex.execute({
      sql: `SELECT email FROM users WHERE username IN (${users.map(() => '?').join(',')}) AND disabled = 0 AND email <> '' ORDER BY username`,
      args: users,
    });
    addresses.push(...rows.map((r) => String(r.email)));
  }
  return [...new Set(addresses)];
}
