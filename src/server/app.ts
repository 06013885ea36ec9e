/**
 * The process-wide services, built once. The start command builds them before
 * the server listens, so a bad config or an unreachable database stops the
 * start with a clear message instead of failing on the first request.
 */
import { createConfigStore, storeInLanguage, type ConfigStore } from './config-store.ts';
import { DEFAULT_LANGUAGE, type Language } from '../core/languages.ts';
import { migrate, openDatabase, type Database } from './db.ts';
import { markSecretValues } from './history.ts';
import { LoginThrottle } from './auth/throttle.ts';
import { readSettings, type Settings } from './settings.ts';
import { RunSignals } from './runs/notify.ts';
import { RunWatch } from './runs/run-watch.ts';
import { PublicationSignals } from './git/signals.ts';
import { AuditBatch } from './audit-batch.ts';
import { WakeSignal } from './wake.ts';

export interface App {
  settings: Settings;
  db: Database;
  config: ConfigStore;
  throttle: LoginThrottle;
  runs: RunSignals;
  /** Runs streamed here, looked at for what other processes did to them (run-watch.ts). */
  runWatch: RunWatch;
  publications: PublicationSignals;
  /** Audit entries written a few at a time (exports); flushed before the database closes. */
  auditLater: AuditBatch;
  /** Wakes this process's delivery worker when it has recorded an event (other processes' workers find it on their next look). */
  deliveries: WakeSignal;
}

export async function createApp(settings: Settings = readSettings()): Promise<App> {
  const config = await createConfigStore(settings.configPath);
  const db = await openDatabase(settings.dbUrl, settings.dbAuthToken, settings.dbBusyMs);
  await migrate(db);
  await markSecretValues(db, (await config.current()).config);
  const runs = new RunSignals();
  return { settings, db, config, throttle: new LoginThrottle(db), runs, runWatch: new RunWatch(db, runs), publications: new PublicationSignals(), auditLater: new AuditBatch(db), deliveries: new WakeSignal() };
}

const inLanguages = new WeakMap<App, Map<Language, App>>();

/** The app as a request in `lang` sees it: the config's text in that language, everything else shared. */
export function appInLanguage(app: App, lang: Language): App {
  if (lang === DEFAULT_LANGUAGE) return app;
  const byLang = inLanguages.get(app) ?? inLanguages.set(app, new Map()).get(app)!;
  return byLang.get(lang) ?? byLang.set(lang, { ...app, config: storeInLanguage(app.config, lang) }).get(lang)!;
}

// One instance per process, shared by every request. Kept on globalThis so the
// start command and the built server bundle, which each hold their own copy of
// this module, still share it.
const KEY = Symbol.for('switchyard.app');
type Holder = { [KEY]?: Promise<App> };

export function getApp(): Promise<App> {
  const holder = globalThis as Holder;
  holder[KEY] ??= createApp().catch((e) => {
    delete holder[KEY];
    throw e;
  });
  return holder[KEY];
}

export function setApp(app: Promise<App>): void {
  (globalThis as Holder)[KEY] = app;
}
