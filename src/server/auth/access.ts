/** Access checks for the services: the rules of src/core/access.ts, enforced. */
import type { Button, PageConfig } from '../../core/config/schema.ts';
import { buttonRefusal, refusal, type Action, type Person } from '../../core/access.ts';
import { Refused } from '../refused.ts';
import type { SessionUser } from './sessions.ts';
import type { Reads } from '../read-cache.ts';

/** Who is asking: the logged-in person, if any, and from where (for the audit log and throttling). */
export interface Viewer {
  user: SessionUser | undefined;
  ip: string;
  /** The request's reads, which may come from results kept while the database is unchanged (read-cache.ts); `app.db` when absent. */
  reads?: Reads;
}

/**
 * Refuses (log in first, or not allowed) with the reason unless `user` may.
 * The reason keeps its wording: a page shows it in the person's language, the JSON API in English.
 */
export function requireAccess(user: Person | undefined, page: PageConfig, action: Action): void {
  if (refusal(user, page, action) === undefined) return;
  throw new Refused(user ? 'forbidden' : 'login', (t) => refusal(user, page, action, t)!);
}

/** Refuses unless `user` may run `button` of `page` (the page's `run` rule and the button's own `access`). */
export function requireButtonRun(user: Person | undefined, page: PageConfig, button: Pick<Button, 'access'>): void {
  if (buttonRefusal(user, page, button) === undefined) return;
  throw new Refused(user ? 'forbidden' : 'login', (t) => buttonRefusal(user, page, button, t)!);
}
