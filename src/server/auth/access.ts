/** Access checks for the services: the rules of src/core/access.ts, enforced. */
import type { PageConfig } from '../../core/config/schema.ts';
import { refusal, type Action, type Person } from '../../core/access.ts';
import { HttpError } from '../http.ts';

/** Throws 401 or 403 with the reason unless `user` may. */
export function requireAccess(user: Person | undefined, page: PageConfig, action: Action): void {
  const why = refusal(user, page, action);
  if (why) throw new HttpError(user ? 403 : 401, why);
}
