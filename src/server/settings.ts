/** Process settings from the environment, read once at start. */
import { join, resolve } from 'node:path';
import { DEFAULT_BUSY_MS, fileUrl } from './db.ts';
import { LIMITS } from '../protocol/index.ts';

function positive(value: string | undefined, fallback: number, min: number): number {
  const n = Number(value);
  return value && Number.isSafeInteger(n) && n >= min ? n : fallback;
}

export interface Settings {
  configPath: string;
  dataDir: string;
  dbUrl: string;
  dbAuthToken?: string;
  /** How long a write waits for another process's lock before it is refused as "busy". */
  dbBusyMs: number;
  /** A running run whose runner is silent this long is lost. */
  runLeaseMs: number;
  /** Log kept per run. */
  runLogMaxBytes: number;
  sessions: { idleMs: number; maxMs: number };
  /** Deadline of one git command or GitHub request made to publish a save. */
  gitTimeoutMs: number;
  /** Whether this process starts scheduled runs (another process on the same database may). */
  scheduler: boolean;
}

export function readSettings(env: NodeJS.ProcessEnv = process.env): Settings {
  const configPath = resolve(env.SWITCHYARD_CONFIG || 'config.yaml');
  const dataDir = resolve(env.SWITCHYARD_DATA_DIR || 'app_data');
  const dbUrl = env.SWITCHYARD_DB_URL || fileUrl(join(dataDir, 'switchyard.db'));
  return {
    configPath,
    dataDir,
    dbUrl,
    dbAuthToken: env.SWITCHYARD_DB_AUTH_TOKEN || undefined,
    dbBusyMs: positive(env.SWITCHYARD_DB_BUSY_MS, DEFAULT_BUSY_MS, 10),
    // At least twice the runner's heartbeat, so one late heartbeat never loses a run.
    runLeaseMs: positive(env.SWITCHYARD_RUN_LEASE_MS, LIMITS.leaseMs, 2 * LIMITS.heartbeatMs),
    runLogMaxBytes: positive(env.SWITCHYARD_RUN_LOG_MAX_BYTES, LIMITS.logBytesPerRun, 1024),
    sessions: {
      idleMs: positive(env.SWITCHYARD_SESSION_IDLE_SECONDS, 12 * 3600, 10) * 1000,
      maxMs: positive(env.SWITCHYARD_SESSION_MAX_SECONDS, 30 * 24 * 3600, 10) * 1000,
    },
    gitTimeoutMs: positive(env.SWITCHYARD_GIT_TIMEOUT_MS, 60_000, 500),
    scheduler: env.SWITCHYARD_SCHEDULER !== '0',
  };
}
