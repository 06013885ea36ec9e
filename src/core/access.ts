/**
 * Who may do what on a page. Every route asks here (through
 * src/server/auth/access.ts), so a page's `access` block and the role order
 * apply the same way to the form, the save, the export, the history, the runs
 * and the JSON API. Pure, so the layout can ask it too.
 */
import type { PageConfig } from './config/schema.ts';
import { hasRole, rolesFrom, type Role } from './roles.ts';

export type Action = 'view' | 'edit' | 'run';

const DEFAULT_LEAST: Record<Action, Role> = { view: 'viewer', edit: 'editor', run: 'operator' };
const WHAT: Record<Action, string> = { view: 'see this page', edit: 'change these values', run: 'run these tasks' };
const LOG_IN: Record<Action, string> = { view: 'Log in to see this page.', edit: 'Log in to save changes.', run: 'Log in to run tasks.' };

export interface Person {
  role: Role;
}

export function leastRole(page: PageConfig, action: Action): Role {
  return page.access?.[action] ?? DEFAULT_LEAST[action];
}

export function may(user: Person | undefined, page: PageConfig, action: Action): boolean {
  if (action === 'view' && !page.requires_login && !user) return true;
  if (!user) return false;
  return hasRole(user.role, leastRole(page, action)) && (action === 'view' || may(user, page, 'view'));
}

/** Why not, in a sentence for the person; undefined when they may. */
export function refusal(user: (Person & { role: Role }) | undefined, page: PageConfig, action: Action): string | undefined {
  if (may(user, page, action)) return undefined;
  if (!user) return LOG_IN[action];
  const least = action === 'view' ? leastRole(page, 'view') : [leastRole(page, action), leastRole(page, 'view')].sort((a, b) => (hasRole(a, b) ? -1 : 1))[0]!;
  return `Your role (${user.role}) may not ${WHAT[action]}; ${rolesFrom(least)} may.`;
}
