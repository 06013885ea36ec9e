/**
 * A static snapshot of the site: the pages, their values, history, exports
 * and latest reports as plain files that any static host (or a browser,
 * from disk) can show. It only reads: safe while the app serves, and it
 * never migrates the database (a database this version cannot read is refused).
 */
import { translator } from '../../core/i18n.ts';
import type { Language } from '../../core/languages.ts';
import { KNOWN_SCHEMA } from '../backup.ts';
import { ConfigError } from '../config-store.ts';
import type { Executor } from '../db.ts';
import { Refused } from '../refused.ts';
import type { Settings } from '../settings.ts';
import { collectSnapshot, type Audience, type SiteSnapshot } from './collect.ts';
import { placeSnapshot, targetProblem } from './place.ts';
import { openReadOnly } from './read-only.ts';
import { historyHtml, indexHtml, pageHtml } from './render-page.ts';
import { reportFileName, reportFileText } from './report-file.ts';
import { STYLESHEET } from './style.ts';

export { MARKER } from './place.ts';
export type { Audience };

export interface SnapshotResult {
  target: string;
  pages: number;
  leftOut: number;
  files: number;
}

/** Refuses a database this version would have to migrate (or cannot know): the snapshot never writes to it. */
async function checkSchema(db: Executor): Promise<void> {
  let version: number;
  try {
    const { rows } = await db.execute('SELECT max(version) AS v FROM schema_migrations');
    version = Number(rows[0]?.v ?? 0);
  } catch (e) {
    if (!/no such table/i.test((e as Error).message)) throw e;
    version = 0;
  }
  if (version < KNOWN_SCHEMA) throw new Refused('conflict', `the database is at schema ${version} and this Switchyard expects ${KNOWN_SCHEMA}: start the app once (it migrates at start), then take the snapshot; the snapshot only reads`);
  if (version > KNOWN_SCHEMA) throw new Refused('conflict', `the database is at schema ${version}, newer than this Switchyard knows (${KNOWN_SCHEMA}): take the snapshot with the version that serves it`);
}

/** Every file of the snapshot, by its path from the snapshot's root. */
export function snapshotFiles(s: SiteSnapshot): Map<string, string> {
  const t = translator(s.lang);
  const files = new Map<string, string>([['style.css', STYLESHEET], ['index.html', indexHtml(s, t)]]);
  for (const p of s.pages) {
    const dir = p.page.slug;
    files.set(`${dir}/index.html`, pageHtml(s, p, t));
    files.set(`${dir}/history.html`, historyHtml(s, p, t));
    files.set(`${dir}/${dir}.yaml`, p.yaml);
    for (const b of p.buttons) if (b.report) files.set(`${dir}/${reportFileName(b.button.name, b.report.type)}`, reportFileText(b.report.type, b.report.body));
  }
  return files;
}

export async function writeSnapshot(settings: Pick<Settings, 'dbUrl' | 'dbAuthToken' | 'dbBusyMs' | 'configPath'>, target: string, opts: { audience: Audience; lang: Language }): Promise<SnapshotResult> {
  // Checked before reading anything, and again when placing it.
  const problem = targetProblem(target);
  if (problem) throw new Refused('conflict', problem);
  const db = openReadOnly(settings);
  let snapshot: SiteSnapshot;
  try {
    await checkSchema(db.reads);
    snapshot = await collectSnapshot(db.reads, settings.configPath, opts.audience, opts.lang);
  } catch (e) {
    // A config the app would refuse to start with: its first problem, in the one line a refusal has.
    throw e instanceof ConfigError ? new Refused('malformed', e.message) : e;
  } finally {
    db.close();
  }
  const files = snapshotFiles(snapshot);
  placeSnapshot(target, files, `${JSON.stringify({ format: 'switchyard-snapshot/1', created: snapshot.created, audience: opts.audience, language: opts.lang }, null, 2)}\n`);
  return { target, pages: snapshot.pages.length, leftOut: snapshot.leftOut, files: files.size };
}
