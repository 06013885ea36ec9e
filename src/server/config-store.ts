/**
 * Keeps the live config. A change on disk is noticed on the next request
 * (a cheap stat, at most every RECHECK_MS) and re-validated; if the new text
 * is bad, the last good config stays live and the problems are kept for
 * admins to see.
 */
import { constants } from 'node:fs';
import { open, stat } from 'node:fs/promises';
import { basename } from 'node:path';
import { CONFIG_MAX_BYTES, formatProblems, parseConfig, type ConfigProblem } from '../core/config/load.ts';
import type { PageConfig, SiteConfig } from '../core/config/schema.ts';
import { pageOf } from '../core/config/lookup.ts';
import { log } from './log.ts';
import type { Language } from '../core/languages.ts';

const RECHECK_MS = 200;

export class ConfigError extends Error {
  readonly problems: ConfigProblem[];
  constructor(problems: ConfigProblem[]) {
    super(formatProblems(problems));
    this.name = 'ConfigError';
    this.problems = problems;
  }
}

export interface LiveConfig {
  /** In the default language; `inLanguage` gives it in another (labels, titles, help and docs). */
  config: SiteConfig;
  revision: string;
  inLanguage: (lang: Language) => SiteConfig;
  /** Set while the file on disk is invalid and an older config is being served. */
  rejected?: { problems: ConfigProblem[]; at: Date };
}

export interface ConfigStore {
  current(): Promise<LiveConfig>;
  page(slug: string): Promise<PageConfig | undefined>;
}

/**
 * The same live config, read in a language: what a request hands to the
 * code that shows it (the middleware gives each request its person's
 * language), so titles, labels and help come out in that language.
 */
export function storeInLanguage(store: ConfigStore, lang: Language): ConfigStore {
  const seen = new WeakMap<LiveConfig, LiveConfig>();
  const current = async () => {
    const live = await store.current();
    let localized = seen.get(live);
    if (!localized) seen.set(live, (localized = { ...live, config: live.inLanguage(lang) }));
    return localized;
  };
  return { current, page: async (slug) => pageOf((await current()).config, slug) };
}

/** Reads and validates the file; throws ConfigError naming every problem. */
export async function loadConfigFile(path: string): Promise<Omit<LiveConfig, 'rejected'>> {
  const refuse = (message: string) => new ConfigError([{ file: path, line: 1, column: 1, path: '', message }]);
  let text: string;
  let handle;
  try {
    // Non-blocking, so a named pipe put in its place cannot hang the check.
    handle = await open(path, constants.O_RDONLY | constants.O_NONBLOCK);
    const info = await handle.stat();
    if (!info.isFile()) throw refuse('is not a regular file');
    // Checked before reading: a huge file put in its place (a log, say) must not be loaded whole.
    if (info.size > CONFIG_MAX_BYTES) throw refuse(`file is larger than ${CONFIG_MAX_BYTES / 1024} KiB`);
    const buf = Buffer.alloc(CONFIG_MAX_BYTES + 1);
    const { bytesRead } = await handle.read(buf, 0, buf.length, 0);
    if (bytesRead > CONFIG_MAX_BYTES) throw refuse(`file is larger than ${CONFIG_MAX_BYTES / 1024} KiB`);
    text = buf.subarray(0, bytesRead).toString('utf8');
  } catch (e) {
    if (e instanceof ConfigError) throw e;
    throw refuse((e as NodeJS.ErrnoException).code === 'ENOENT' ? 'file not found' : `cannot read file: ${(e as Error).message}`);
  } finally {
    await handle?.close();
  }
  const result = parseConfig(text, basename(path));
  if (!result.ok) throw new ConfigError(result.problems);
  return { config: result.config, revision: result.revision, inLanguage: result.inLanguage };
}

export async function createConfigStore(path: string): Promise<ConfigStore> {
  let live: LiveConfig = await loadConfigFile(path);
  let stamp = await fileStamp(path);
  let checkedAt = Date.now();
  let pending: Promise<void> | undefined;

  async function recheck() {
    const now = await fileStamp(path);
    if (now === stamp) return;
    stamp = now;
    try {
      const next = await loadConfigFile(path);
      if (next.revision !== live.revision || live.rejected) log().info(`${path} changed: now serving config revision ${next.revision}.`);
      live = next;
    } catch (e) {
      if (!(e instanceof ConfigError)) throw e;
      log().error({ problems: e.problems.length }, `${path} changed but is not valid; still serving revision ${live.revision}:\n${e.message}`);
      live = { ...live, rejected: { problems: e.problems, at: new Date() } };
    }
  }

  async function current(): Promise<LiveConfig> {
    if (Date.now() - checkedAt >= RECHECK_MS) {
      checkedAt = Date.now();
      pending ??= recheck().finally(() => (pending = undefined));
    }
    if (pending) await pending;
    return live;
  }

  return {
    current,
    async page(slug) {
      return pageOf((await current()).config, slug);
    },
  };
}

async function fileStamp(path: string): Promise<string> {
  try {
    const s = await stat(path);
    return `${s.mtimeMs}:${s.size}:${s.ino}`;
  } catch {
    return 'missing';
  }
}
