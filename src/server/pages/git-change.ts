/**
 * A change of a page's values made in Git, as the page shows it and as its
 * editors decide on it (adopt it, or keep Switchyard's values). See
 * server/git/adopt.ts for how such changes are found.
 */
import type { PageConfig, Values } from '../../core/config/schema.ts';
import { may } from '../../core/access.ts';
import { diffValues, type ValueChange } from '../../core/diff.ts';
import { ENGLISH, type Translate } from '../../core/i18n.ts';
import type { App } from '../app.ts';
import type { Viewer } from '../auth/access.ts';
import { adoptChange, gitChange, keepOurs, openGitChange, valuesOf, type GitChange } from '../git/adopt.ts';
import { Refused } from '../refused.ts';
import { pageToEdit } from './actions.ts';

export interface GitChangeView {
  id: number;
  state: 'offered' | 'refused';
  commit: GitChange['commit'];
  path: string;
  foundAt: string;
  /** Offered: what adopting it would change. */
  changes?: ValueChange[];
  /** Offered while saves made here are not in Git yet; refused: why. */
  reason?: string;
}

export async function gitChangeView(app: App, page: PageConfig, viewer: Viewer, current: Values, t: Translate): Promise<GitChangeView | undefined> {
  const change = await openGitChange(viewer.reads ?? app.db, page.slug);
  if (!change) return undefined;
  const base = { id: change.id, commit: change.commit, path: change.path, foundAt: change.foundAt };
  if (change.state === 'refused') return viewer.user?.role === 'admin' ? { ...base, state: 'refused', reason: change.reason } : undefined;
  if (!may(viewer.user, page, 'edit')) return undefined;
  const read = valuesOf(page, change.content, current, t);
  if ('problem' in read) return viewer.user?.role === 'admin' ? { ...base, state: 'refused', reason: read.problem } : undefined;
  return { ...base, state: 'offered', changes: diffValues(page, current, read.values), reason: change.reason ? t('gitChange.savesWaiting') : undefined };
}

/** POST /page/<slug>/git-change: `decision` adopt or keep, for the change `change`; for those who may edit the page, audited. */
export async function decideGitChange(app: App, slug: string | undefined, viewer: Viewer, form: FormData, t: Translate = ENGLISH): Promise<'adopted' | 'kept'> {
  const { page, user } = await pageToEdit(app, slug, viewer, t('gitChange.errors.logIn'), t);
  const decision = String(form.get('decision'));
  const change = await gitChange(app.db, page.slug, Number(form.get('change')));
  if (!change || (decision !== 'adopt' && decision !== 'keep')) throw new Refused('malformed', (tt) => tt('gitChange.errors.unknown'));
  if (change.state !== 'offered') throw new Refused('conflict', (tt) => tt('gitChange.errors.decided'));
  if (decision === 'adopt') {
    await adoptChange(app, page, change, { user, ip: viewer.ip }, t);
    return 'adopted';
  }
  await keepOurs(app, page, change, { user, ip: viewer.ip });
  return 'kept';
}
