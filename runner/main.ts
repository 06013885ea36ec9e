/**
 * `npm run runner`: the runner daemon. Long-polls the app for runs and
 * executes them. Configuration from the environment:
 *   SWITCHYARD_URL            the app, e.g. https://switchyard.example.org (required)
 *   SWITCHYARD_RUNNER_TOKEN   from `npm run runner-token -- create <name>` (required)
 *   SWITCHYARD_RUNNER_ROOT    folder holding scripts/ (default: the current directory)
 *   SWITCHYARD_DATA_DIR       what app_data/ means here (default: <root>/app_data)
 *   SWITCHYARD_RUNNER_SLOTS   runs executed at once (default 1)
 */
import { hostname } from 'node:os';
import { join, resolve } from 'node:path';
import { LIMITS } from '../src/protocol/index.ts';
import { AppApi, Unauthorized, withRetry } from './api.ts';
import { executeRun, type RunnerPaths } from './execute.ts';

const VERSION = '0.2.0';

function fatal(message: string): never {
  console.error(`switchyard runner: ${message}`);
  process.exit(2);
}

const url = process.env.SWITCHYARD_URL || fatal('set SWITCHYARD_URL to the app, e.g. http://localhost:4321');
const token = process.env.SWITCHYARD_RUNNER_TOKEN || fatal('set SWITCHYARD_RUNNER_TOKEN (create one with: npm run runner-token -- create <name>)');
try {
  new URL(url);
} catch {
  fatal(`SWITCHYARD_URL is not a URL: ${url}`);
}
const root = resolve(process.env.SWITCHYARD_RUNNER_ROOT || '.');
const paths: RunnerPaths = { root, dataDir: resolve(process.env.SWITCHYARD_DATA_DIR || join(root, 'app_data')) };
const slots = Math.max(1, Math.min(64, Number(process.env.SWITCHYARD_RUNNER_SLOTS) || 1));
const log = (m: string) => console.log(`${new Date().toISOString()} runner: ${m}`);

const api = new AppApi({ url, token, log });
let stopping = false;
const abort = new AbortController();

async function slot(): Promise<void> {
  while (!stopping) {
    let run;
    try {
      run = await withRetry(
        () => api.claim({ hostname: hostname(), version: VERSION, wait_ms: LIMITS.claimWaitMs - 5000 }, abort.signal),
        log,
        `asking ${url} for work`,
        () => stopping,
      );
    } catch (e) {
      if (stopping) return;
      if (e instanceof Unauthorized) fatal(e.message);
      throw e;
    }
    if (!run) continue;
    log(`run ${run.id}: ${run.page} / ${run.button} (${run.script_path})`);
    await executeRun(api, run, paths, log, abort.signal);
  }
}

for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    // Take no new work, stop the scripts under way and report them as cancelled; a second signal exits at once.
    log(`${signal}: stopping the runs under way and shutting down`);
    stopping = true;
    abort.abort();
    process.once(signal, () => process.exit(1));
  });
}

log(`serving ${url} from ${root} (data ${paths.dataDir}, ${slots} slot${slots > 1 ? 's' : ''})`);
await Promise.all(Array.from({ length: slots }, slot));
log('stopped');
