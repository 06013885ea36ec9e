/**
 * The runner that `npm start` runs beside the app on the same machine, with a
 * fresh token each start. It is restarted if it dies, and stopped with the app.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { join, resolve } from 'node:path';
import type { App } from '../server/app.ts';
import { createRunnerToken } from '../server/runners.ts';
import { log } from '../server/log.ts';
import { RUNNER_NODE_FLAGS } from './node-flags.ts';

export interface LocalRunner {
  stop(): Promise<void>;
}

const ROOT = resolve(import.meta.dirname, '../..');

export async function startLocalRunner(app: App, opts: { host: string; port: number; root: string; scheme: 'http' | 'https'; caFile?: string }): Promise<LocalRunner> {
  // Runs the previous local runner held end here: it cannot report them with its old token.
  const token = await createRunnerToken(app.db, 'local', { replace: true, by: 'the app starting a new local runner', signals: app.runs });
  const host = ['0.0.0.0', '::', ''].includes(opts.host) ? '127.0.0.1' : opts.host;
  const url = `${opts.scheme}://${host.includes(':') ? `[${host}]` : host}:${opts.port}`;
  let child: ChildProcess | undefined;
  let stopping = false;
  let restarts = 0;

  const launch = () => {
    const started = Date.now();
    child = spawn(process.execPath, [...RUNNER_NODE_FLAGS, join(ROOT, 'runner/main.ts')], {
      cwd: opts.root,
      env: {
        ...process.env,
        SWITCHYARD_URL: url,
        SWITCHYARD_RUNNER_TOKEN: token,
        SWITCHYARD_RUNNER_ROOT: opts.root,
        SWITCHYARD_DATA_DIR: app.settings.dataDir,
        // A certificate of our own (self-signed, say) is trusted by our own runner.
        ...(opts.caFile ? { NODE_EXTRA_CA_CERTS: opts.caFile } : {}),
      },
      stdio: ['ignore', 'inherit', 'inherit'],
    });
    child.on('exit', (code, signal) => {
      if (stopping) return;
      restarts = Date.now() - started > 60_000 ? 0 : restarts + 1;
      const delay = Math.min(30_000, 500 * 2 ** restarts);
      log().error(`The local runner stopped (${signal ?? `exit code ${code}`}); starting it again in ${delay / 1000} s.`);
      setTimeout(() => !stopping && launch(), delay).unref();
    });
  };
  launch();

  return {
    async stop() {
      stopping = true;
      const c = child;
      if (!c || c.exitCode !== null || c.signalCode !== null) return;
      const exited = new Promise((r) => c.once('exit', r));
      c.kill('SIGTERM');
      const timer = setTimeout(() => c.kill('SIGKILL'), 10_000);
      await exited;
      clearTimeout(timer);
    },
  };
}
