/**
 * Runs one claimed run: the script through execa, never a shell, in its own
 * process group so that cancel and timeout end the whole tree (SIGTERM, then
 * SIGKILL after a grace period). Output lines, status-file progress and the
 * report go back to the app through the outbox.
 */
import { constants } from 'node:fs';
import { copyFile, mkdir, rename, rm, writeFile } from 'node:fs/promises';
import { extname, join } from 'node:path';
import type { ChildProcess } from 'node:child_process';
import { execa } from 'execa';
import { LIMITS, parseMetrics, parseRecipients, type FinishRequest, type RunAssignment, type StatusFile } from '../src/protocol/index.ts';
import { Rejected, RunGone, Unauthorized, withRetry, type AppApi } from './api.ts';
import { artifactFiles } from './artifacts.ts';
import { fetchInputFiles } from './input-files.ts';
import { lineSplitter } from './lines.ts';
import { Outbox } from './outbox.ts';
import type { ProcessRegistry } from './process-registry.ts';
import { readStatus, STATUS_MAX_BYTES, writeStatus } from './status-file.ts';

/** scripts/lib of the Switchyard this runner belongs to (switchyard.sh, switchyard-report.sh). */
const SCRIPT_LIB = join(import.meta.dirname, '..', 'scripts', 'lib');
import { readOutput, resolveOutput, resolveScript, type RunnerPaths } from './paths.ts';
import { ENV_LIMITS, scriptEnvironment } from './environment.ts';

export type { RunnerPaths };

const GRACE_MS = 5000;
const STATUS_POLL_MS = 100;
/** The report as the app will show it, or why it is not kept (a link, a special file, a database…). */
async function readReport(path: string, configPath: string): Promise<{ report: FinishRequest['report']; refused?: string }> {
  const read = await readOutput(path, LIMITS.reportBytes);
  if (!read.ok) return { report: null, refused: read.missing ? undefined : `report ${configPath} ${read.reason}; it is not kept` };
  const type = ['.html', '.htm'].includes(extname(path).toLowerCase()) ? 'html' : 'text';
  return { report: { type, body: read.text, truncated: read.truncated } };
}

/**
 * A small file the script wrote for the app (figures, whom to tell), parsed
 * line by line; undefined when it wrote none or nothing usable. Lines that do
 * not parse are named in the run's log, with `hint` saying what a line is.
 */
async function readScriptFile<T>(path: string, what: string, hint: string, parse: (text: string) => { value: T | undefined; refused: string[] }, system: (text: string) => void): Promise<T | undefined> {
  const read = await readOutput(path, STATUS_MAX_BYTES);
  if (!read.ok) {
    if (!read.missing) system(`[switchyard runner] ${what} file ${read.reason}; it is not read`);
    return undefined;
  }
  if (read.truncated) system(`[switchyard runner] ${what} file is larger than ${STATUS_MAX_BYTES / 1024} KiB; only its start is read`);
  const { value, refused } = parse(read.text);
  for (const line of refused.slice(0, 5)) system(`[switchyard runner] ${what} line not kept (${hint}): ${line}`);
  return value;
}

const readMetrics = (path: string, system: (text: string) => void) =>
  readScriptFile(path, 'metrics', 'write "name number", name in a-z 0-9 _', (text) => {
    const { metrics, refused } = parseMetrics(text);
    return { value: Object.keys(metrics).length ? metrics : undefined, refused };
  }, system);

const readRecipients = (path: string, system: (text: string) => void) =>
  readScriptFile(path, 'notify', 'write a user name or an email address', (text) => {
    const { recipients, refused } = parseRecipients(text);
    return { value: recipients.length ? recipients : undefined, refused };
  }, system);

/** Sends the files the script left, one call each, before the run is finished; what is not kept is said in its log. */
async function sendArtifacts(api: AppApi, run: RunAssignment, dir: string, system: (text: string) => void, log: (m: string) => void): Promise<void> {
  for await (const file of artifactFiles(dir)) {
    if ('skipped' in file) {
      system(`[switchyard runner] file ${file.name} ${file.skipped}; it is not kept`);
      continue;
    }
    try {
      await withRetry((fresh) => api.artifact(run.id, run.lease, file.name, file.bytes, file.sha256, fresh), log, `sending file ${file.name} of run ${run.id}`);
    } catch (e) {
      if (!(e instanceof Rejected)) throw e;
      system(`[switchyard runner] file ${file.name} was refused by the app (${e.message}); it is not kept`);
    }
  }
}

let copies = 0;

/**
 * The button's report_path holds its latest run's report: a copy of the run's
 * own (a new file renamed into place, so never written through a link), or
 * nothing when that run left none.
 */
async function keepAsButtonReport(runReport: string, buttonReport: string, kept: boolean): Promise<void> {
  if (!kept) return rm(buttonReport, { force: true });
  const tmp = `${buttonReport}.tmp-${process.pid}-${++copies}`;
  await copyFile(runReport, tmp, constants.COPYFILE_EXCL);
  await rename(tmp, buttonReport);
}

function killGroup(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pid, signal);
  } catch {
    /* already gone */
  }
}

/**
 * Executes one run and reports it. Throws Unauthorized, once the script is
 * stopped, when the app refused our token: nothing can be reported any more.
 */
export async function executeRun(
  api: AppApi,
  run: RunAssignment,
  paths: RunnerPaths,
  log: (m: string) => void,
  shutdown?: AbortSignal,
  registry?: ProcessRegistry,
): Promise<void> {
  let stopReason: 'cancelled' | 'timed_out' | 'gone' | 'shutdown' | 'unauthorized' | undefined;
  let refused: Unauthorized | undefined;
  let child: ReturnType<typeof execa> | undefined;
  /** Ends the script's group: SIGTERM, then SIGKILL after the grace period. */
  const terminate = () => {
    const pid = child?.pid;
    if (!pid) return;
    log(`run ${run.id}: stopping (${stopReason})`);
    killGroup(pid, 'SIGTERM');
    setTimeout(() => killGroup(pid, 'SIGKILL'), GRACE_MS).unref();
  };
  const stop = (why: NonNullable<typeof stopReason>) => {
    if (stopReason) return;
    stopReason = why;
    terminate();
  };
  const outbox = new Outbox({
    api,
    runId: run.id,
    lease: run.lease,
    log,
    onCancel: () => stop('cancelled'),
    onGone: (reason) => {
      log(`run ${run.id}: the app no longer holds it for us (${reason})`);
      stop('gone');
    },
    onUnauthorized: (e) => {
      refused = e;
      log(`run ${run.id}: ${e.message}; stopping the script, since nothing it does can be reported any more`);
      stop('unauthorized');
    },
  });
  const onShutdown = () => stop('shutdown');
  if (shutdown?.aborted) onShutdown();
  else shutdown?.addEventListener('abort', onShutdown, { once: true });
  const system = (text: string) => outbox.push({ type: 'log', stream: 'system', at: new Date().toISOString(), text });
  const startedAt = new Date().toISOString();
  let result: Omit<FinishRequest, 'lease' | 'finished_at' | 'report'> = { state: 'failed', exit_code: null, signal: null, error: null };
  // The script writes its own run's files (two runs of one button at once never
  // mix their progress or reports); the runner copies them to the button's.
  let statusPath: string | undefined;
  let reportPath: string | undefined;
  let artifactsDir: string | undefined;
  let metricsPath: string | undefined;
  let notifyPath: string | undefined;
  let buttonStatus: string | undefined;
  let buttonReport: string | undefined;
  /** The status, in the run's file and in the button's. */
  const publishStatus = async (status: StatusFile) => {
    await writeStatus(statusPath!, status);
    if (buttonStatus) await writeStatus(buttonStatus, status);
  };
  let progress: { progress: number | null; message: string | null } = { progress: null, message: null };

  try {
    buttonStatus = await resolveOutput(paths, run.status_file, 'status_file');
    buttonReport = await resolveOutput(paths, run.report_path, 'report_path');
    const runDir = join(paths.dataDir, 'runs', String(run.id));
    const paramsFile = join(runDir, 'params.json');
    statusPath = join(runDir, 'status.json');
    reportPath = join(runDir, `report${extname(run.report_path)}`);
    await mkdir(runDir, { recursive: true });
    // Empty at the start, so only what this script leaves there is sent.
    await rm(join(runDir, 'artifacts'), { recursive: true, force: true });
    await mkdir(join(runDir, 'artifacts'));
    artifactsDir = join(runDir, 'artifacts');
    metricsPath = join(runDir, 'metrics.txt');
    notifyPath = join(runDir, 'notify.txt');
    await rm(metricsPath, { force: true });
    await rm(notifyPath, { force: true });
    // A file input's parameter becomes the path of its file, fetched before the script starts.
    const params = { ...run.params, ...(await fetchInputFiles(api, run, runDir, log)) };
    // Written afresh ('wx' after removing any old one): never through a link left at that name.
    await rm(paramsFile, { force: true });
    await writeFile(paramsFile, `${JSON.stringify(params, null, 2)}\n`, { flag: 'wx' });
    await rm(reportPath, { force: true }); // never show an earlier attempt's report as this one's
    await publishStatus({ state: 'running', run_id: run.id, started_at: startedAt, finished_at: null, exit_code: null, progress: null, message: null }).catch((e) =>
      system(`[switchyard runner] warning: cannot write the status file ${run.status_file}: ${(e as Error).message}`),
    );
    const script = await resolveScript(paths, run.script_path);

    const { env, omitted } = scriptEnvironment(params, {
      SWITCHYARD_RUN_ID: String(run.id),
      // Which page and button started it: one script can serve several buttons (a job per page).
      SWITCHYARD_PAGE: run.page,
      SWITCHYARD_BUTTON: run.button,
      // Where Switchyard's own script helpers and Node are, wherever the runner was started from.
      SWITCHYARD_LIB: SCRIPT_LIB,
      SWITCHYARD_NODE: process.execPath,
      SWITCHYARD_DATA_DIR: paths.dataDir,
      SWITCHYARD_PARAMS_FILE: paramsFile,
      SWITCHYARD_STATUS_FILE: statusPath,
      SWITCHYARD_REPORT_PATH: reportPath,
      SWITCHYARD_ARTIFACTS_DIR: artifactsDir,
      SWITCHYARD_METRICS_FILE: metricsPath,
      SWITCHYARD_NOTIFY_FILE: notifyPath,
      // Who pressed the button: empty for a schedule (and from an app too old to say).
      SWITCHYARD_STARTED_BY: run.started_by?.username ?? '',
      SWITCHYARD_STARTED_BY_ROLE: run.started_by?.role ?? '',
      SWITCHYARD_LANGUAGE: run.started_by?.language ?? '',
    });
    if (omitted.length) {
      system(`[switchyard runner] ${omitted.join(', ')}: too large for environment variables (over ${ENV_LIMITS.valueBytes / 1024} KiB each or ${ENV_LIMITS.totalBytes / 1024} KiB together); read them from $SWITCHYARD_PARAMS_FILE`);
    }

    child = execa(script, [], { cwd: paths.root, env, extendEnv: false, detached: true, stdin: 'ignore', buffer: false, reject: false, cleanup: false });
    // Wait for the script itself, not for its output pipes: a child it left
    // in the background may hold them open.
    const spawnFailed = child.then((r) => (r.failed && r.exitCode === undefined && r.signal === undefined ? r.cause ?? new Error(r.message) : undefined));
    const proc = (await child.nodeChildProcess) as ChildProcess;
    if (child.pid) registry?.add(run, child.pid);
    const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((ok, fail) => {
      if (proc.exitCode !== null || proc.signalCode !== null) ok({ code: proc.exitCode, signal: proc.signalCode });
      else proc.once('exit', (code, signal) => ok({ code, signal }));
      void spawnFailed.then((err) => err && fail(err));
    });
    if (stopReason) terminate(); // a stop that arrived while the script was starting
    outbox.push({ type: 'started', at: startedAt, pid: child.pid ?? 1 });
    for (const stream of ['stdout', 'stderr'] as const) {
      const split = lineSplitter((text) => outbox.push({ type: 'log', stream, at: new Date().toISOString(), text }));
      child[stream]!.on('data', (chunk: Buffer) => split.write(chunk));
      child[stream]!.on('end', () => split.end());
    }
    const timeout = run.timeout_ms ? setTimeout(() => stop('timed_out'), run.timeout_ms) : undefined;
    // One look at a time, and none once the script has ended: a look still under way then
    // could otherwise write "running" over the final status.
    let looking: Promise<void> | undefined;
    let watching = true;
    const look = async () => {
      const s = await readStatus(statusPath!);
      if (!s || !watching) return;
      const next = { progress: s.progress ?? null, message: s.message ?? null };
      const full: StatusFile = { state: 'running', run_id: run.id, started_at: startedAt, finished_at: null, exit_code: null, ...next };
      if (next.progress !== progress.progress || next.message !== progress.message) {
        progress = next;
        outbox.push({ type: 'progress', at: new Date().toISOString(), ...next });
        if (buttonStatus) await writeStatus(buttonStatus, full).catch(() => undefined);
      }
      // A script that wrote only progress and message gets the runner's fields back.
      if (s.run_id !== run.id || s.state !== 'running') await writeStatus(statusPath!, full).catch(() => undefined);
    };
    const watch = setInterval(() => {
      looking ??= look().finally(() => (looking = undefined));
    }, STATUS_POLL_MS);

    let exit;
    try {
      exit = await exited;
    } catch (e) {
      const err = e as NodeJS.ErrnoException;
      const why = err.code === 'EACCES' ? `script is not executable: ${run.script_path} (chmod +x it)` : err.code === 'ENOEXEC' ? `script cannot be executed (missing #! line?): ${run.script_path}` : `script could not start: ${err.message}`;
      throw new Error(why);
    } finally {
      clearTimeout(timeout);
      clearInterval(watch);
      watching = false;
      await looking;
    }
    // The script is done; anything it left running in its group goes with it.
    killGroup(child.pid!, 'SIGKILL');
    const last = await readStatus(statusPath);
    if (last && (last.progress !== progress.progress || last.message !== progress.message)) {
      progress = { progress: last.progress ?? null, message: last.message ?? null };
      outbox.push({ type: 'progress', at: new Date().toISOString(), ...progress });
    }
    const state = stopReason === 'cancelled' || stopReason === 'shutdown' ? 'cancelled' : stopReason === 'timed_out' ? 'timed_out' : exit.code === 0 ? 'succeeded' : 'failed';
    const error = stopReason === 'shutdown' ? 'stopped because the runner was shut down' : stopReason === 'unauthorized' ? 'stopped because the app refused the runner token' : null;
    result = { state, exit_code: exit.code, signal: exit.signal, error };
    if (stopReason === 'shutdown') system('[switchyard runner] stopped: the runner is shutting down');
    if (state === 'timed_out') system(`[switchyard runner] stopped after the button's timeout of ${Math.round(run.timeout_ms! / 1000)} s`);
    if (state === 'cancelled') system('[switchyard runner] stopped on request');
    if (state === 'failed') system(exit.signal ? `[switchyard runner] script ended by signal ${exit.signal}` : `[switchyard runner] script exited with code ${exit.code}`);
  } catch (e) {
    if (child?.pid) killGroup(child.pid, 'SIGKILL');
    result = { state: 'failed', exit_code: null, signal: null, error: (e as Error).message };
    system(`[switchyard runner] ${(e as Error).message}`);
  }

  registry?.remove(run.id);
  const finishedAt = new Date().toISOString();
  const { report, refused: notKept } = reportPath ? await readReport(reportPath, run.report_path).catch((e) => ({ report: null, refused: `report ${run.report_path} cannot be read: ${(e as Error).message}` })) : { report: null };
  if (notKept) system(`[switchyard runner] ${notKept}`);
  const metrics = metricsPath ? await readMetrics(metricsPath, system) : undefined;
  const notify = notifyPath ? await readRecipients(notifyPath, system) : undefined;
  if (artifactsDir && child && !refused && stopReason !== 'gone') {
    try {
      await sendArtifacts(api, run, artifactsDir, system, log);
    } catch (e) {
      if (e instanceof RunGone) stopReason = 'gone';
      else if (e instanceof Unauthorized) refused = e;
      else throw e;
    }
  }
  if (buttonReport && reportPath) await keepAsButtonReport(reportPath, buttonReport, report !== null).catch((e) => log(`run ${run.id}: cannot copy the report to ${run.report_path}: ${(e as Error).message}`));
  if (statusPath) {
    await publishStatus({ state: result.state, run_id: run.id, started_at: startedAt, finished_at: finishedAt, exit_code: result.exit_code, ...progress }).catch((e) =>
      log(`run ${run.id}: cannot write status file: ${(e as Error).message}`),
    );
  }
  try {
    await outbox.drain();
    outbox.close();
    if (refused) throw refused;
    if (stopReason === 'gone') return;
    await withRetry((fresh) => api.finish(run.id, { lease: run.lease, finished_at: finishedAt, report, ...result, ...(metrics ? { metrics } : {}), ...(notify ? { notify } : {}) }, fresh), log, `finishing run ${run.id}`);
    log(`run ${run.id}: ${result.state}`);
  } catch (e) {
    if (e instanceof RunGone) log(`run ${run.id}: the app no longer holds it for us (${e.message})`);
    else throw e;
  } finally {
    outbox.close();
    shutdown?.removeEventListener('abort', onShutdown);
  }
}
