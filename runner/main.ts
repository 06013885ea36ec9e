/**
 * `npm run runner`: the runner daemon. Long-polls the app for runs and
 * executes them. Configuration from the environment:
 *   SWITCHYARD_URL            the app, e.g. https://switchyard.example.org (required)
 *   SWITCHYARD_RUNNER_TOKEN   from `npm run runner-token -- create <name>` (required)
 *   SWITCHYARD_RUNNER_ROOT    folder holding scripts/ (default: the current directory)
 *   SWITCHYARD_DATA_DIR       what app_data/ means here (default: <root>/app_data)
 *   SWITCHYARD_RUNNER_SLOTS   runs executed at once (default 1)
 *   SWITCHYARD_RUNNER_LABELS  labels such as "gpu,host=db-1": this runner also takes runs of buttons whose
 *                             runs_on: lists only labels it has (without, it takes only buttons without runs_on:)
 */
import { hostname } from 'node:os';
import { join, resolve } from 'node:path';
import { LIMITS, parseRunnerLabels } from '../src/protocol/index.ts';
import { AppApi, RunGone, Unauthorized, withRetry } from './api.ts';
import { executeRun, type RunnerPaths } from './execute.ts';
import { ProcessRegistry, reapOrphans, type Orphan } from './process-registry.ts';
import { stopWhenParentEnds } from './parent-watch.ts';

const VERSION = '0.2.0';

function fatal(message: string): never {
  console.error(`switchyard runner: ${message}`);
  process.exit(2);
}

const url = process.env.SWITCHYARD_URL || fatal('set SWITCHYARD_URL to the app, e.g. http://localhost:4321');
const token = process.env.SWITCHYARD_RUNNER_TOKEN || fatal('set SWITCHYARD_RUNNER_TOKEN (create one with: npm run runner-token -- create <name>)');
// A token copied with a stray character (a CRLF line ending in an environment file) could never be sent.
if (!/^[\x21-\x7e]+$/.test(token)) fatal('SWITCHYARD_RUNNER_TOKEN contains spaces or control characters (a Windows line ending in an environment file?); set it to the token alone');
try {
  new URL(url);
} catch {
  fatal(`SWITCHYARD_URL is not a URL: ${url}`);
}
const root = resolve(process.env.SWITCHYARD_RUNNER_ROOT || '.');
const paths: RunnerPaths = { root, dataDir: resolve(process.env.SWITCHYARD_DATA_DIR || join(root, 'app_data')) };
const parsedLabels = parseRunnerLabels(process.env.SWITCHYARD_RUNNER_LABELS);
if ('problem' in parsedLabels) fatal(`SWITCHYARD_RUNNER_LABELS: ${parsedLabels.problem}`);
// Sent only when there are some, so an unlabelled runner's claim reads as before to an app from before labels.
const labels = parsedLabels.labels.length ? { labels: parsedLabels.labels } : {};
const slots = Math.max(1, Math.min(64, Number(process.env.SWITCHYARD_RUNNER_SLOTS) || 1));
const log = (m: string) => console.log(`${new Date().toISOString()} runner: ${m}`);

const api = new AppApi({ url, token, log });
let stopping = false;
const abort = new AbortController();
/** Set when the app refused our token: every slot stops its script, then the runner exits. */
let refused: Unauthorized | undefined;
let runsStopped = 0;
const registryDir = join(paths.dataDir, 'runner');
const registry = new ProcessRegistry(registryDir, paths.dataDir);

function tokenRefused(e: Unauthorized): void {
  if (!refused) log(`${e.message}; stopping the scripts under way and exiting`);
  refused ??= e;
  stopping = true;
  abort.abort();
}

/** Tells the app how a run of a dead runner ended; best effort, in the background. */
async function reportOrphan({ run, stopped }: Orphan): Promise<void> {
  const error = `the runner died while the script ran; the restarted runner ${stopped ? 'stopped what was left of it' : 'found it already ended'} (outcome unknown)`;
  try {
    await withRetry(
      (fresh) => api.finish(run.run_id, { lease: run.lease, state: 'failed', exit_code: null, signal: null, error, finished_at: new Date().toISOString(), report: null }, fresh),
      log,
      `reporting run ${run.run_id}`,
      () => stopping,
    );
  } catch (e) {
    // Already declared lost, or not ours to report: the app has its own account of it.
    if (!(e instanceof RunGone || e instanceof Unauthorized || stopping)) log(`run ${run.run_id}: cannot report it: ${(e as Error).message}`);
  }
}

async function slot(): Promise<void> {
  while (!stopping) {
    let run;
    try {
      run = await withRetry(
        (fresh) => api.claim({ hostname: hostname(), version: VERSION, wait_ms: LIMITS.claimWaitMs - 5000, ...labels }, abort.signal, fresh),
        log,
        `asking ${url} for work`,
        () => stopping,
      );
    } catch (e) {
      if (e instanceof Unauthorized) return tokenRefused(e);
      if (stopping) return;
      throw e;
    }
    if (!run) continue;
    log(`run ${run.id}: ${run.page} / ${run.button} (${run.script_path})`);
    try {
      await executeRun(api, run, paths, log, abort.signal, registry);
    } catch (e) {
      if (e instanceof Unauthorized) {
        runsStopped++;
        return tokenRefused(e);
      }
      throw e;
    }
  }
}

/** Takes no new work, stops the scripts under way and reports them as cancelled. */
function shutDown(why: string): void {
  if (stopping) return;
  log(`${why}: stopping the runs under way and shutting down`);
  stopping = true;
  abort.abort();
}
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    shutDown(signal);
    process.once(signal, () => process.exit(1)); // a second signal exits at once
  });
}
stopWhenParentEnds(shutDown);

// Scripts of a runner that died here before us would otherwise run on unsupervised.
const orphans = await reapOrphans(registryDir, paths.dataDir, log);
for (const o of orphans) void reportOrphan(o);

log(`serving ${url} from ${root} (data ${paths.dataDir}, ${slots} slot${slots > 1 ? 's' : ''}${parsedLabels.labels.length ? `, labels ${parsedLabels.labels.join(', ')}` : ''})`);
await Promise.all(Array.from({ length: slots }, slot));
registry.close();
if (refused) {
  const scripts = runsStopped ? ` ${runsStopped === 1 ? 'The run' : `${runsStopped} runs`} under way could not be reported; any script still running was stopped.` : '';
  fatal(`${refused.message}.${scripts} Was the token revoked or replaced? Make a new one with npm run runner-token -- rotate <name> and start the runner with it.`);
}
log('stopped');
