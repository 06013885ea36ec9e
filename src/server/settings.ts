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
  /** How often the Git target's branch is looked at for changes made outside Switchyard (by one process of all). */
  gitPollMs: number;
  /** How often open proposals (pull requests, side branches) are looked at for a merge or a close. */
  proposalCheckMs: number;
  /** Whether this process starts scheduled runs (another process on the same database may). */
  scheduler: boolean;
  /** From this hour of each UTC day on, the day's retention sweep is due. */
  retentionHourUtc: number;
  /** The address people reach the app at, for links in notifications (no trailing slash). */
  publicUrl: string;
  notify: NotifySettings;
}

export interface NotifySettings {
  /** A delivery is given up after this many failed attempts. */
  attempts: number;
  /** Wait after the first failure; doubled after each further one, up to maxBackoffMs. */
  backoffMs: number;
  maxBackoffMs: number;
  /** Deadline of one webhook request or SMTP session, unless the target sets its own. */
  timeoutMs: number;
  /** When set, webhooks go only to these hosts ("hooks.example.com", "*.example.com"). */
  webhookHosts: string[] | undefined;
}

/** The app's own address as people reach it: SWITCHYARD_PUBLIC_URL, else what the server listens on. */
function publicUrl(env: NodeJS.ProcessEnv): string {
  const given = env.SWITCHYARD_PUBLIC_URL?.trim();
  if (given && URL.canParse(given) && /^https?:$/.test(new URL(given).protocol)) return given.replace(/\/+$/, '');
  const scheme = env.SWITCHYARD_TLS_CERT && env.SWITCHYARD_TLS_KEY ? 'https' : 'http';
  const host = !env.HOST || env.HOST === '0.0.0.0' || env.HOST === '::' ? 'localhost' : env.HOST.includes(':') ? `[${env.HOST}]` : env.HOST;
  return `${scheme}://${host}:${env.PORT || 4321}`;
}

function hostList(value: string | undefined): string[] | undefined {
  const hosts = value?.split(',').map((h) => h.trim().toLowerCase()).filter(Boolean);
  return hosts?.length ? hosts : undefined;
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
    gitPollMs: positive(env.SWITCHYARD_GIT_POLL_MS, 15_000, 200),
    proposalCheckMs: positive(env.SWITCHYARD_PROPOSAL_CHECK_MS, 30_000, 100),
    scheduler: env.SWITCHYARD_SCHEDULER !== '0',
    retentionHourUtc: Math.min(positive(env.SWITCHYARD_RETENTION_HOUR, 2, 0), 23),
    publicUrl: publicUrl(env),
    notify: {
      attempts: Math.min(positive(env.SWITCHYARD_DELIVERY_ATTEMPTS, 15, 1), 100),
      backoffMs: positive(env.SWITCHYARD_DELIVERY_BACKOFF_MS, 10_000, 10),
      maxBackoffMs: positive(env.SWITCHYARD_DELIVERY_BACKOFF_MAX_MS, 30 * 60_000, 10),
      timeoutMs: positive(env.SWITCHYARD_DELIVERY_TIMEOUT_MS, 10_000, 100),
      webhookHosts: hostList(env.SWITCHYARD_WEBHOOK_HOSTS),
    },
  };
}
