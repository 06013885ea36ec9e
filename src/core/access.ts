/**
 * Who may do what on a page. Every route asks here (through
 * src/server/auth/access.ts), so a page's `access` block and the role order
 * apply the same way to the form, the save, the export, the history, the runs
 * and the JSON API. Pure, so the layout can ask it too.
 */
import type { Button, PageConfig } from './config/schema.ts';
import { hasRole, type Role } from './roles.ts';
import type { Translate } from './i18n.ts';
import { ENGLISH } from './worded.ts';

export type Action = 'view' | 'edit' | 'run';

const DEFAULT_LEAST: Record<Action, Role> = { view: 'viewer', edit: 'editor', run: 'operator' };

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

/**
 * Why not, in a sentence for the person in `t`'s language (English unless
 * given: the JSON API's words); undefined when they may.
 */
export function refusal(user: (Person & { role: Role }) | undefined, page: PageConfig, action: Action, t: Translate = ENGLISH): string | undefined {
  if (may(user, page, action)) return undefined;
  if (!user) return t(`access.logIn.${action}`);
  const least = action === 'view' ? leastRole(page, 'view') : [leastRole(page, action), leastRole(page, 'view')].sort((a, b) => (hasRole(a, b) ? -1 : 1))[0]!;
  // Whole sentences per action, and the roles that may as one phrase per least role: each language words them its own way.
  return t(`access.notAllowed.${action}`, { role: t(`roles.${user.role}`), who: t(`access.rolesFrom.${least}`) });
}

/**
 * Whether `user` may see and run `button`: the page's `run` rule, and the
 * button's own `access.run` where it has one (it can only narrow the page's).
 */
export function mayRunButton(user: Person | undefined, page: PageConfig, button: Pick<Button, 'access'>): boolean {
  return may(user, page, 'run') && (!button.access || (!!user && hasRole(user.role, button.access.run)));
}

/**
 * Whether the page lists `button` for `user`: a button with its own `access`
 * is hidden from those who may not run it; others show, with the page's
 * reason when the person may not run the page's buttons at all.
 */
export function showsButton(user: Person | undefined, page: PageConfig, button: Pick<Button, 'access'>): boolean {
  return !button.access || mayRunButton(user, page, button);
}

/** Why `user` may not run `button`, in `t`'s language; undefined when they may. */
export function buttonRefusal(user: Person | undefined, page: PageConfig, button: Pick<Button, 'access'>, t: Translate = ENGLISH): string | undefined {
  const onPage = refusal(user, page, 'run', t);
  if (onPage !== undefined || mayRunButton(user, page, button)) return onPage;
  return t('access.notAllowed.button', { role: t(`roles.${user!.role}`), who: t(`access.rolesFrom.${button.access!.run}`) });
}
