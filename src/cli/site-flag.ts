/**
 * `--config <file>` for `npm start` and the commands beside it: a site that
 * lives in a folder of its own (an example under examples/, say) starts with
 * one flag. Its folder becomes the default of the scripts' root (where
 * scripts/ is) and of the data folder (`<folder>/app_data`); anything set in
 * the environment still wins. Without the flag nothing changes: the working
 * directory, as before.
 */
import { existsSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';

/** The flag's value, or undefined when absent; a problem for a flag without a file. */
export function configFlag(argv: readonly string[]): { path?: string; problem?: string } {
  const i = argv.findIndex((a) => a === '--config' || a.startsWith('--config='));
  if (i < 0) return {};
  const value = argv[i]!.includes('=') ? argv[i]!.slice('--config='.length) : argv[i + 1];
  if (!value || value.startsWith('--')) return { problem: '--config needs the path of a config.yaml, such as --config examples/print-queue/config.yaml' };
  const path = resolve(value);
  if (!existsSync(path) || !statSync(path).isFile()) return { problem: `--config ${value}: no such file` };
  return { path };
}

/**
 * Sets SWITCHYARD_CONFIG, and SWITCHYARD_DATA_DIR and SWITCHYARD_RUNNER_ROOT
 * when not set, from `--config`; the serving processes and the local runner
 * started later inherit them. Returns a problem to stop on, if any.
 */
export function applyConfigFlag(argv: readonly string[], env: NodeJS.ProcessEnv = process.env): string | undefined {
  const { path, problem } = configFlag(argv);
  if (problem || !path) return problem;
  const folder = dirname(path);
  env.SWITCHYARD_CONFIG = path;
  env.SWITCHYARD_DATA_DIR ||= join(folder, 'app_data');
  env.SWITCHYARD_RUNNER_ROOT ||= folder;
  return undefined;
}

/** The local runner's root: SWITCHYARD_RUNNER_ROOT (set by --config, or by hand), else the working directory. */
export const runnerRoot = (env: NodeJS.ProcessEnv = process.env): string => resolve(env.SWITCHYARD_RUNNER_ROOT || '.');

/** ` --config <file>` when this start was given one, for the commands it prints (they must reach the same site). */
export function siteFlag(argv: readonly string[] = process.argv.slice(2)): string {
  const { path } = configFlag(argv);
  if (!path) return '';
  const shown = relative(process.cwd(), path);
  return ` --config ${shown.startsWith('..') ? path : shown}`;
}
