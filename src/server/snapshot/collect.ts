/**
 * What a snapshot shows, read from the database and the config: the pages a
 * chosen audience may see, each with its current values, its history, its
 * export and its buttons' latest finished runs. Reads only, through the same
 * services the pages use, so values, masking and export are the app's own.
 */
import { may, showsButton, type Person } from '../../core/access.ts';
import type { Button, PageConfig, SiteConfig } from '../../core/config/schema.ts';
import { valuesToYaml } from '../../core/export.ts';
import type { Language } from '../../core/languages.ts';
import { provenanceHeader } from '../../core/provenance.ts';
import { FINAL_STATES } from '../../protocol/index.ts';
import { loadConfigFile } from '../config-store.ts';
import type { Executor } from '../db.ts';
import { buttonDocs, markdownHtml, pageDocs, type Docs } from '../docs.ts';
import { currentValues, pageHistory, type CurrentValues, type HistoryEntry } from '../history.ts';
import { savedProvenance } from '../pages/actions.ts';
import { getRun, runReport, type RunView } from '../runs/read.ts';
import { maskKnownSecrets, savedSecrets } from './secrets.ts';

/** Who the snapshot is for: anyone (pages that need no login), any viewer (the default), or everyone (all pages). */
export type Audience = 'public' | 'viewer' | 'all';

/** The person each audience stands for, as the access rules know people. */
const AUDIENCE: Record<Audience, Person | undefined> = { public: undefined, viewer: { role: 'viewer' }, all: { role: 'admin' } };

/** Saves shown per page, newest first; a page with more says so. */
export const HISTORY_LIMIT = 500;

export interface ButtonSnapshot {
  button: Button;
  /** Its latest run that ended, if any. */
  run?: RunView;
  report?: { type: 'html' | 'text'; body: string; truncated: boolean };
  docs?: Docs;
}

export interface PageSnapshot {
  page: PageConfig;
  current: CurrentValues;
  history: { entries: HistoryEntry[]; more: boolean };
  /** The export, as latest.yaml serves it: secrets left out. */
  yaml: string;
  buttons: ButtonSnapshot[];
  descriptionHtml?: string;
  docs?: Docs;
}

export interface SiteSnapshot {
  site: SiteConfig;
  lang: Language;
  audience: Audience;
  pages: PageSnapshot[];
  /** Pages the audience may not see, left out. */
  leftOut: number;
  created: string;
}

export async function collectSnapshot(db: Executor, configPath: string, audience: Audience, lang: Language, now = new Date()): Promise<SiteSnapshot> {
  const site = (await loadConfigFile(configPath)).inLanguage(lang);
  const person = AUDIENCE[audience];
  const shown = site.pages.filter((p) => may(person, p, 'view'));
  // Values a script may have written into a report; none of them may reach the snapshot.
  const secrets = await savedSecrets(db);
  const pages: PageSnapshot[] = [];
  for (const page of shown) pages.push(await collectPage(db, configPath, page, person, lang, secrets));
  return { site, lang, audience, pages, leftOut: site.pages.length - shown.length, created: now.toISOString() };
}

async function collectPage(db: Executor, configPath: string, page: PageConfig, person: Person | undefined, lang: Language, secrets: string[]): Promise<PageSnapshot> {
  const current = await currentValues(db, page);
  const header = provenanceHeader({ ...savedProvenance(page, current), asSaved: true });
  const buttons: ButtonSnapshot[] = [];
  for (const button of page.buttons.filter((b) => showsButton(person, page, b))) buttons.push(await collectButton(db, configPath, page, button, lang, secrets));
  return {
    page,
    current,
    history: await pageHistory(db, page, { limit: HISTORY_LIMIT }),
    yaml: valuesToYaml(page, current.values, header),
    buttons,
    descriptionHtml: page.description ? markdownHtml(page.description) : undefined,
    docs: await pageDocs(configPath, page, lang),
  };
}

async function collectButton(db: Executor, configPath: string, page: PageConfig, button: Button, lang: Language, secrets: string[]): Promise<ButtonSnapshot> {
  const docs = await buttonDocs(configPath, button, lang);
  const { rows } = await db.execute({
    sql: `SELECT max(id) AS id FROM runs WHERE page_slug = ? AND button_name = ? AND state IN (${FINAL_STATES.map(() => '?').join(',')})`,
    args: [page.slug, button.name, ...FINAL_STATES],
  });
  const id = rows[0]?.id == null ? undefined : Number(rows[0].id);
  const run = id === undefined ? undefined : await getRun(db, id);
  if (!run) return { button, docs };
  const report = await runReport(db, run.id);
  return { button, docs, run, report: report && { ...report, body: maskKnownSecrets(report.body, secrets) } };
}
