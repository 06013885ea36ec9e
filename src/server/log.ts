/**
 * The app's one logger (pino): a JSON line per event, so a log collector can
 * index request ids, users and durations; human-readable lines when a person
 * watches the terminal. The level comes from SWITCHYARD_LOG_LEVEL.
 *
 * Secrets never reach a line: headers that carry credentials and any field
 * named like a password, token or secret are censored, and request lines
 * carry the path without its query (a redirect's `done=` holds the key of a
 * one-time secret; see outcomes.ts).
 */
import { perProcess, setPerProcess } from './per-process.ts';
import pino, { type Logger } from 'pino';
import pretty from 'pino-pretty';

export type { Logger };

export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

const SECRET_KEYS = ['password', 'new_password', 'current_password', 'token', 'secret', 'authorization', 'cookie', 'set-cookie'];

/** Censored wherever they appear at the top level, one level down, or in headers. */
export const REDACT_PATHS = [
  ...SECRET_KEYS.map((k) => `["${k}"]`),
  ...SECRET_KEYS.map((k) => `*["${k}"]`),
  ...SECRET_KEYS.map((k) => `*.headers["${k}"]`),
];

/** The level SWITCHYARD_LOG_LEVEL asks for; a clear error naming the choices for anything else. */
export function logLevel(env: NodeJS.ProcessEnv = process.env): string {
  const value = (env.SWITCHYARD_LOG_LEVEL ?? '').trim().toLowerCase();
  if (!value) return 'info';
  if ((LOG_LEVELS as readonly string[]).includes(value)) return value;
  throw new Error(`SWITCHYARD_LOG_LEVEL is "${env.SWITCHYARD_LOG_LEVEL}"; set it to one of ${LOG_LEVELS.join(', ')} (default info)`);
}

/** A logger writing to `destination` (stdout by default): pretty on a terminal, JSON lines otherwise. */
export function createLogger(env: NodeJS.ProcessEnv = process.env, destination?: NodeJS.WritableStream): Logger {
  // With several processes serving one port (SWITCHYARD_PROCESSES), each line says which one wrote it.
  const base = Number(env.SWITCHYARD_PROCESSES) > 1 ? { pid: process.pid } : undefined;
  const options = { level: logLevel(env), base, timestamp: pino.stdTimeFunctions.isoTime, redact: { paths: REDACT_PATHS, censor: '[redacted]' } };
  const out = destination ?? process.stdout;
  // Pretty-printing in this thread (sync), not as a transport: a worker thread would lose the last lines of a crash.
  if ((out as { isTTY?: boolean }).isTTY === true) return pino(options, pretty({ destination: out, sync: true, translateTime: 'SYS:HH:MM:ss.l', ignore: 'pid,hostname' }));
  // Stdout through pino's own asynchronous writer: writing each line through process.stdout took
  // 80 µs of the event loop per request at concurrency 1 (240 at 16); this costs too little to
  // measure on a hello-world. Pino flushes what is left when the process exits.
  return pino(options, destination ?? pino.destination({ dest: 1, sync: false }));
}

/** The process's logger, made from the environment the first time it is asked for. */
export function log(): Logger {
  return perProcess('log', createLogger);
}

/** Puts `logger` in place (the start command, after checking the level; tests, to capture lines). */
export function setLogger(logger: Logger): void {
  setPerProcess('log', logger);
}
