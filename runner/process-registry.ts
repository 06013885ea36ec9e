/**
 * The scripts this runner process has running, on disk, so that a runner
 * started after this one died (SIGKILL, OOM, a crash: no chance to stop its
 * scripts) can find them, stop them and report their runs. Without it a
 * script would run on unsupervised and its run would only be declared lost.
 *
 * One file per runner process, `<data dir>/runner/runner-<pid>.json`, written
 * atomically; several runners may share the data dir, each reaps only the
 * files of runner processes that are gone. Processes are identified by pid
 * *and* start time (field 22 of /proc/<pid>/stat), so a reused pid is never
 * mistaken for a recorded one.
 *
 * What a restarted runner stops (Linux, same user): every process still in a
 * recorded script's process group, and every process whose environment names
 * the run (SWITCHYARD_RUN_ID and SWITCHYARD_DATA_DIR), which also finds a
 * child that left the group with `setsid`. Not covered: a process that
 * cleared or rewrote its environment after leaving the group, processes of
 * another user, and on systems without /proc anything but a group whose
 * leader is still alive.
 */
import { mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import type { RunAssignment } from '../src/protocol/index.ts';

export interface RecordedRun {
  run_id: number;
  lease: string;
  /** The script's pid, which is also its process group id. */
  pid: number;
  /** Its start time in clock ticks since boot; null where /proc is missing. */
  start: number | null;
}

interface RegistryFile {
  host: string;
  runner: { pid: number; start: number | null };
  data_dir: string;
  runs: RecordedRun[];
}

const FILE = /^runner-(\d+)\.json$/;
const GRACE_MS = 5000;

/** Field 22 (starttime) and field 5 (process group) of /proc/<pid>/stat, or undefined when unreadable. */
function procStat(pid: number): { start: number; pgrp: number } | undefined {
  try {
    const text = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name (field 2) may hold spaces and parentheses: count from the last ')'.
    const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
    return { pgrp: Number(fields[2]), start: Number(fields[19]) };
  } catch {
    return undefined;
  }
}

function startTime(pid: number): number | null {
  return procStat(pid)?.start ?? null;
}

function exists(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** The same process as recorded: alive, and (where /proc tells) started at the same tick. */
function sameProcess(pid: number, start: number | null): boolean {
  if (!exists(pid)) return false;
  const now = startTime(pid);
  return start === null || now === null || now === start;
}

export class ProcessRegistry {
  private dir: string;
  private path: string;
  private file: RegistryFile;

  constructor(dir: string, dataDir: string) {
    this.dir = dir;
    this.path = join(dir, `runner-${process.pid}.json`);
    this.file = { host: hostname(), runner: { pid: process.pid, start: startTime(process.pid) }, data_dir: dataDir, runs: [] };
  }

  add(run: RunAssignment, pid: number): void {
    this.file.runs.push({ run_id: run.id, lease: run.lease, pid, start: startTime(pid) });
    this.save();
  }

  remove(runId: number): void {
    const before = this.file.runs.length;
    this.file.runs = this.file.runs.filter((r) => r.run_id !== runId);
    if (this.file.runs.length !== before) this.save();
  }

  /** Written whole and renamed into place: a runner killed mid-write leaves the previous version. */
  private save(): void {
    try {
      mkdirSync(this.dir, { recursive: true, mode: 0o700 });
      const tmp = `${this.path}.tmp`;
      writeFileSync(tmp, `${JSON.stringify(this.file)}\n`, { mode: 0o600 });
      renameSync(tmp, this.path);
    } catch (e) {
      console.warn(`switchyard runner: cannot record running scripts in ${this.dir}: ${(e as Error).message}`);
    }
  }

  /** Removes this runner's file on a clean exit. */
  close(): void {
    rmSync(this.path, { force: true });
    rmSync(`${this.path}.tmp`, { force: true });
  }
}

/** The processes of a recorded run that are still alive: its group, and setsid escapees that carry its run id. */
function processesOf(run: RecordedRun, dataDir: string): number[] {
  let pids: number[];
  try {
    pids = readdirSync('/proc').filter((d) => /^\d+$/.test(d)).map(Number);
  } catch {
    // No /proc: only the group of a leader still alive can be told apart from a stranger.
    return sameProcess(run.pid, run.start) ? [-run.pid] : [];
  }
  const marks = [`SWITCHYARD_RUN_ID=${run.run_id}`, `SWITCHYARD_DATA_DIR=${dataDir}`];
  // The group is known to be the script's only while its leader lives: once the leader
  // is gone, a new process may get its pid and make a group of its own (children
  // included), so then only the run's environment marks tell ours apart.
  const groupIsOurs = sameProcess(run.pid, run.start) && run.start !== null;
  const found: number[] = [];
  for (const pid of pids) {
    if (pid === process.pid) continue;
    const stat = procStat(pid);
    // Anything started before the script cannot be one of its processes.
    if (!stat || (run.start !== null && stat.start < run.start)) continue;
    if (groupIsOurs && stat.pgrp === run.pid) {
      found.push(pid);
      continue;
    }
    try {
      const env = readFileSync(`/proc/${pid}/environ`, 'utf8').split('\0');
      if (marks.every((m) => env.includes(m))) found.push(pid);
    } catch {
      /* gone, or another user's */
    }
  }
  return found;
}

function signalAll(pids: number[], signal: NodeJS.Signals): void {
  for (const pid of pids) {
    try {
      process.kill(pid, signal);
    } catch {
      /* already gone */
    }
  }
}

/** Stops a recorded run's processes: SIGTERM, then SIGKILL to whatever is left after the grace period. Returns how many there were. */
async function stopRun(run: RecordedRun, dataDir: string): Promise<number> {
  const first = processesOf(run, dataDir);
  if (first.length === 0) return 0;
  signalAll(first, 'SIGTERM');
  const deadline = Date.now() + GRACE_MS;
  while (Date.now() < deadline && processesOf(run, dataDir).length > 0) await new Promise((r) => setTimeout(r, 100));
  signalAll(processesOf(run, dataDir), 'SIGKILL');
  return first.length;
}

export interface Orphan {
  run: RecordedRun;
  /** Processes that were still running and were stopped. */
  stopped: number;
}

/**
 * Stops the scripts of runner processes on this host that died without
 * stopping them, and removes their files. Returns the runs, for reporting.
 */
export async function reapOrphans(dir: string, dataDir: string, log: (m: string) => void): Promise<Orphan[]> {
  let names: string[];
  try {
    names = readdirSync(dir).filter((n) => FILE.test(n));
  } catch {
    return [];
  }
  const orphans: Orphan[] = [];
  for (const name of names) {
    const path = join(dir, name);
    let file: RegistryFile;
    try {
      file = JSON.parse(readFileSync(path, 'utf8')) as RegistryFile;
    } catch {
      continue; // unreadable or half-written by someone else: not ours to judge
    }
    // A runner restarted with the same pid (common in containers) is told apart by its start time.
    if (file.host !== hostname() || sameProcess(file.runner.pid, file.runner.start)) continue;
    for (const run of file.runs) {
      const stopped = await stopRun(run, file.data_dir ?? dataDir);
      log(`run ${run.run_id}: its runner (pid ${file.runner.pid}) died while the script ran; ${stopped ? `stopped ${stopped} process${stopped > 1 ? 'es' : ''} it left` : 'nothing of it was still running'}`);
      orphans.push({ run, stopped });
    }
    rmSync(path, { force: true });
  }
  return orphans;
}
