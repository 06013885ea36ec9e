/**
 * Where a config's saves are published, as the string stored with each save
 * in the outbox (and with each published file). A pure derivation from the
 * git block, so recording a save needs no publisher, no client and no token;
 * the publishers name their own target with the same functions, so the two
 * always agree.
 */
import { dirname, resolve } from 'node:path';
import type { GitConfig } from '../../core/config/schema.ts';

export function githubTarget(repository: string, branch: string, apiUrl: string): string {
  return `github:${repository}#${branch}@${apiUrl.replace(/\/+$/, '')}`;
}

export function localTarget(path: string, branch: string, remote?: string): string {
  return `local:${path}#${branch}${remote ? `@${remote}` : ''}`;
}

/** The working copy of a local git block: its path is relative to config.yaml. */
export function localPath(local: NonNullable<GitConfig['local']>, configPath: string): string {
  return resolve(dirname(configPath), local.path);
}

/** The target of a config's git block, or undefined when publication is off. */
export function publicationTarget(git: GitConfig | undefined, configPath: string): string | undefined {
  if (git?.github) return githubTarget(git.github.repository, git.github.branch, git.github.api_url);
  if (git?.local) return localTarget(localPath(git.local, configPath), git.local.branch, git.local.remote);
  return undefined;
}

/** The file of a page's values in the repository, e.g. `values/<slug>.yaml`. */
export function fileFor(git: GitConfig, slug: string): string {
  return `${git.directory.replace(/\/+$/, '')}/${slug}.yaml`;
}
