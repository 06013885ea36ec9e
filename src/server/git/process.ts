/**
 * Runs one git command with a deadline that really ends it. git starts helpers
 * of its own (git-remote-http, ssh, git-upload-pack…) that inherit its pipes:
 * killing git alone leaves them running, holding the pipes open, and a caller
 * waiting for the pipes to close waits forever. So git runs in a process group
 * of its own, the whole group is stopped at the deadline (SIGTERM, then
 * SIGKILL), and once git itself has exited nobody waits long for the pipes.
 */
import { spawn } from 'node:child_process';

export interface RunResult {
  code: number;
  stdout: string;
  stderr: string;
  /** The deadline passed and the command was stopped. */
  timedOut: boolean;
}

export interface RunOptions {
  input?: string;
  /**
   * For a command that answers line by line (cat-file --batch-check): called
   * with all the output so far each time more arrives; what it returns is
   * written to the command's input, and null closes the input. Without it,
   * `input` is written and closed at once.
   */
  converse?: (stdout: string) => string | null;
  env?: NodeJS.ProcessEnv;
  timeoutMs: number;
}

/** How long the group gets to end on SIGTERM before SIGKILL. */
const TERM_GRACE_MS = 2000;
/** How long the pipes may stay open after the command exited (held by a helper that outlived it). */
const PIPE_GRACE_MS = 500;

export function runCommand(cmd: string, args: string[], opts: RunOptions): Promise<RunResult> {
  return new Promise((resolve) => {
    const child = spawn(cmd, args, { detached: true, stdio: ['pipe', 'pipe', 'pipe'], env: opts.env });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    let timedOut = false;
    let exit: number | undefined;
    let done = false;
    const timers: NodeJS.Timeout[] = [];

    const killGroup = (signal: NodeJS.Signals) => {
      try {
        if (child.pid) process.kill(-child.pid, signal);
      } catch {
        /* the group is gone already */
      }
    };
    const finish = (code: number, extra = '') => {
      if (done) return;
      done = true;
      for (const t of timers) clearTimeout(t);
      child.stdout.destroy();
      child.stderr.destroy();
      child.stdin.destroy();
      const stderr = Buffer.concat(err).toString('utf8') + extra;
      resolve({ code, stdout: Buffer.concat(out).toString('utf8').replace(/\n$/, ''), stderr: stderr.replace(/\n$/, ''), timedOut });
    };

    child.stdout.on('data', (d: Buffer) => {
      out.push(d);
      if (!opts.converse || child.stdin.writableEnded) return;
      const more = opts.converse(Buffer.concat(out).toString('utf8'));
      if (more === null) child.stdin.end();
      else if (more) child.stdin.write(more);
    });
    child.stderr.on('data', (d: Buffer) => err.push(d));
    // git may exit before reading all its input; that is its answer, not ours to crash on.
    child.stdin.on('error', () => {});
    child.on('error', (e) => finish(127, e.message));
    child.on('exit', (code, signal) => {
      exit = code ?? (signal ? 128 : 1);
      // The pipes normally close right after; if a helper still holds them, it is an orphan of this command.
      timers.push(
        setTimeout(() => {
          killGroup('SIGKILL');
          finish(exit!);
        }, PIPE_GRACE_MS),
      );
    });
    child.on('close', (code, signal) => finish(exit ?? code ?? (signal ? 128 : 1)));

    timers.push(
      setTimeout(() => {
        timedOut = true;
        killGroup('SIGTERM');
        timers.push(
          setTimeout(() => {
            killGroup('SIGKILL');
            // Even if something in the group could not be killed, the caller gets its answer.
            timers.push(setTimeout(() => finish(exit ?? 137), PIPE_GRACE_MS));
          }, TERM_GRACE_MS),
        );
      }, opts.timeoutMs),
    );
    if (opts.converse) child.stdin.write(opts.input ?? '');
    else child.stdin.end(opts.input ?? '');
  });
}
