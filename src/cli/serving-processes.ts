/**
 * SWITCHYARD_PROCESSES=N: N processes serve one port, so the app can use
 * more than one core. Each listens with SO_REUSEPORT and the kernel spreads
 * new connections among them. The process `npm start` began does what must
 * happen once (the build check, the first admin, the local runner) and starts
 * the N-1 others with `--serving-only`. Everything they share goes through
 * the database, as it does for app processes on several hosts: sessions,
 * saves, the run queue and its wake-ups, live logs, the Git outbox and
 * schedules. A serving process that ends unexpectedly is started again,
 * after a pause that doubles (up to 30 s) while it keeps ending within a
 * minute; each stops on its own if the first process goes away.
 */
import { spawn, type ChildProcess } from 'node:child_process';

export const SERVING_ONLY = '--serving-only';
const MAX_PROCESSES = 64;
const STEADY_MS = 60_000;
const MAX_PAUSE_MS = 30_000;
const STOP_GRACE_MS = 5000;

/** The number of serving processes SWITCHYARD_PROCESSES asks for, or the problem with its value. */
export function processCount(value: string | undefined): number | { problem: string } {
  if (value === undefined || value === '') return 1;
  const n = Number(value);
  if (Number.isSafeInteger(n) && n >= 1 && n <= MAX_PROCESSES) return n;
  return { problem: `SWITCHYARD_PROCESSES must be a whole number from 1 to ${MAX_PROCESSES} (the processes serving the port), not "${value.slice(0, 40)}"` };
}

/** The pause before starting again a process that has now ended `failures` times in a row soon after its start. */
export function restartPauseMs(failures: number): number {
  return Math.min(MAX_PAUSE_MS, 1000 * 2 ** Math.max(0, failures - 1));
}

export interface ServingProcesses {
  /** Stops them all (SIGTERM, then SIGKILL after a grace period) and waits until they are gone. */
  stop: () => Promise<void>;
}

/** Starts `count - 1` serving processes beside this one, running `script` with this process's Node flags and environment. */
export function startServingProcesses(count: number, script: string, log: (m: string) => void): ServingProcesses {
  const running = new Set<ChildProcess>();
  let stopping = false;
  const launch = (slot: number, failures: number) => {
    const startedAt = Date.now();
    const child = spawn(process.execPath, [...process.execArgv, script, SERVING_ONLY], { stdio: ['ignore', 'inherit', 'inherit'], env: process.env });
    running.add(child);
    child.on('exit', (code, signal) => {
      running.delete(child);
      if (stopping) return;
      const inARow = Date.now() - startedAt < STEADY_MS ? failures + 1 : 1;
      const pause = restartPauseMs(inARow);
      log(`serving process ${slot} (pid ${child.pid}) ended (${signal ?? `exit code ${code}`}); starting it again in ${pause / 1000} s`);
      setTimeout(() => stopping || launch(slot, inARow), pause);
    });
  };
  for (let slot = 2; slot <= count; slot++) launch(slot, 0);
  return {
    async stop() {
      stopping = true;
      await Promise.all([...running].map(stopChild));
    },
  };
}

function stopChild(child: ChildProcess): Promise<void> {
  return new Promise((done) => {
    if (child.exitCode !== null || child.signalCode !== null) return done();
    const kill = setTimeout(() => child.kill('SIGKILL'), STOP_GRACE_MS);
    child.once('exit', () => {
      clearTimeout(kill);
      done();
    });
    child.kill('SIGTERM');
  });
}
