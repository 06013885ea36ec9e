/**
 * Numbered schema migrations, applied in order at start. Never edit one that
 * has shipped: add the next number instead.
 */
export interface Migration {
  version: number;
  name: string;
  sql: string;
}

export const migrations: Migration[] = [
  {
    version: 1,
    name: 'users, sessions, saves and audit log',
    sql: `
CREATE TABLE users (
  id            INTEGER PRIMARY KEY,
  username      TEXT NOT NULL UNIQUE COLLATE NOCASE,
  display_name  TEXT NOT NULL DEFAULT '',
  email         TEXT NOT NULL DEFAULT '',
  role          TEXT NOT NULL CHECK (role IN ('viewer', 'operator', 'editor', 'admin')),
  password_hash TEXT NOT NULL,
  disabled      INTEGER NOT NULL DEFAULT 0,
  created_at    TEXT NOT NULL
);

-- Only the SHA-256 of a session token is stored: a leaked table opens no session.
CREATE TABLE sessions (
  id         TEXT PRIMARY KEY,
  user_id    INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
  created_at INTEGER NOT NULL,
  expires_at INTEGER NOT NULL,
  ip         TEXT NOT NULL DEFAULT '',
  user_agent TEXT NOT NULL DEFAULT ''
);
CREATE INDEX sessions_user ON sessions(user_id);

-- One row per save of a page. base_change_id is the revision the editor had
-- loaded; a save based on anything but the latest is refused as a conflict.
CREATE TABLE changes (
  id              INTEGER PRIMARY KEY,
  page_slug       TEXT NOT NULL,
  user_id         INTEGER REFERENCES users(id) ON DELETE SET NULL,
  author          TEXT NOT NULL,
  saved_at        TEXT NOT NULL,
  base_change_id  INTEGER NOT NULL,
  config_revision TEXT NOT NULL
);
CREATE INDEX changes_page ON changes(page_slug, id);

-- The seed's table: every parameter of the page on every save.
CREATE TABLE config_history (
  id             INTEGER PRIMARY KEY,
  page_slug      TEXT NOT NULL,
  parameter_name TEXT NOT NULL,
  value          TEXT,
  saved_at       TEXT NOT NULL,
  change_id      INTEGER NOT NULL REFERENCES changes(id),
  saved_by       TEXT NOT NULL
);
CREATE INDEX config_history_change ON config_history(change_id);
CREATE INDEX config_history_parameter ON config_history(page_slug, parameter_name, id);

CREATE TABLE audit_log (
  id       INTEGER PRIMARY KEY,
  at       TEXT NOT NULL,
  user_id  INTEGER,
  username TEXT NOT NULL DEFAULT '',
  action   TEXT NOT NULL,
  ip       TEXT NOT NULL DEFAULT '',
  detail   TEXT NOT NULL DEFAULT '{}'
);
CREATE INDEX audit_log_at ON audit_log(at);
`,
  },
  {
    version: 2,
    name: 'runners, runs and their logs',
    sql: `
-- A runner authenticates with a token; only its SHA-256 is stored.
CREATE TABLE runners (
  id           INTEGER PRIMARY KEY,
  name         TEXT NOT NULL UNIQUE,
  token_hash   TEXT NOT NULL UNIQUE,
  created_at   TEXT NOT NULL,
  revoked_at   TEXT,
  last_seen_at TEXT,
  hostname     TEXT NOT NULL DEFAULT '',
  version      TEXT NOT NULL DEFAULT ''
);

-- The queue lives here: a runner claims the oldest queued run by moving it
-- to running under a lease it must keep renewing.
CREATE TABLE runs (
  id                  INTEGER PRIMARY KEY,
  page_slug           TEXT NOT NULL,
  button_name         TEXT NOT NULL,
  state               TEXT NOT NULL CHECK (state IN ('queued', 'running', 'succeeded', 'failed', 'cancelled', 'timed_out', 'lost')),
  params              TEXT NOT NULL,
  config_revision     TEXT NOT NULL,
  script_path         TEXT NOT NULL,
  status_file         TEXT NOT NULL,
  report_path         TEXT NOT NULL,
  timeout_ms          INTEGER,
  requested_by        TEXT NOT NULL,
  user_id             INTEGER REFERENCES users(id) ON DELETE SET NULL,
  rerun_of            INTEGER REFERENCES runs(id),
  created_at          TEXT NOT NULL,
  runner_id           INTEGER REFERENCES runners(id),
  lease               TEXT,
  lease_expires_at    INTEGER,
  claimed_at          TEXT,
  started_at          TEXT,
  finished_at         TEXT,
  exit_code           INTEGER,
  signal              TEXT,
  progress            REAL,
  message             TEXT,
  error               TEXT,
  cancel_requested_at TEXT,
  cancel_requested_by TEXT,
  log_bytes           INTEGER NOT NULL DEFAULT 0,
  log_lines           INTEGER NOT NULL DEFAULT 0,
  log_truncated       INTEGER NOT NULL DEFAULT 0,
  last_seq            INTEGER NOT NULL DEFAULT 0,
  report_type         TEXT,
  report              TEXT,
  report_truncated    INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX runs_state ON runs(state, id);
CREATE INDEX runs_button ON runs(page_slug, button_name, id);

-- (run_id, seq) is the key, so a batch resent by a runner is stored once.
CREATE TABLE run_logs (
  run_id INTEGER NOT NULL REFERENCES runs(id),
  seq    INTEGER NOT NULL,
  at     TEXT NOT NULL,
  stream TEXT NOT NULL,
  text   TEXT NOT NULL,
  PRIMARY KEY (run_id, seq)
) WITHOUT ROWID;
`,
  },
  {
    version: 3,
    name: 'publication outbox',
    sql: `
-- The durable outbox: a row per save to publish, written in the save's own
-- transaction, worked through in save order. 'pending' with last_error set
-- is a failure that will be retried at next_attempt_at.
CREATE TABLE publications (
  change_id       INTEGER PRIMARY KEY REFERENCES changes(id),
  page_slug       TEXT NOT NULL,
  target          TEXT NOT NULL,
  state           TEXT NOT NULL CHECK (state IN ('pending', 'committed', 'conflict')),
  attempts        INTEGER NOT NULL DEFAULT 0,
  next_attempt_at INTEGER NOT NULL DEFAULT 0,
  last_error      TEXT,
  commit_sha      TEXT,
  commit_url      TEXT,
  created_at      TEXT NOT NULL,
  updated_at      TEXT NOT NULL
);
CREATE INDEX publications_state ON publications(state, change_id);

-- What Switchyard last wrote to each file, to tell its own commits from
-- edits made in the repository by someone else.
CREATE TABLE published_files (
  target     TEXT NOT NULL,
  path       TEXT NOT NULL,
  blob_sha   TEXT NOT NULL,
  change_id  INTEGER NOT NULL,
  PRIMARY KEY (target, path)
);
`,
  },
  {
    version: 4,
    name: 'session idle limit, API tokens',
    sql: `
ALTER TABLE sessions ADD COLUMN last_used_at INTEGER NOT NULL DEFAULT 0;
UPDATE sessions SET last_used_at = created_at;

-- Personal API tokens: only the SHA-256 is stored; the token is shown once.
CREATE TABLE api_tokens (
  id           INTEGER PRIMARY KEY,
  user_id      INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
  name         TEXT NOT NULL,
  token_hash   TEXT NOT NULL UNIQUE,
  created_at   TEXT NOT NULL,
  last_used_at TEXT,
  revoked_at   TEXT
);
CREATE INDEX api_tokens_user ON api_tokens(user_id);
`,
  },
  {
    version: 5,
    name: 'publish a conflicting save anyway',
    sql: `
-- Set when someone decided that this save should replace the file in the
-- repository even though it was changed there: a normal commit on top, never a force push.
ALTER TABLE publications ADD COLUMN overwrite INTEGER NOT NULL DEFAULT 0;
`,
  },
  {
    version: 6,
    name: 'publication claims',
    sql: `
-- The app process publishing a save claims it first, so that two processes on
-- one database never publish the same save at once. The claim names the
-- process (host, pid, random) and lapses at claimed_until unless renewed, so
-- a save held by a process that died is taken over.
ALTER TABLE publications ADD COLUMN claim TEXT;
ALTER TABLE publications ADD COLUMN claimed_until INTEGER NOT NULL DEFAULT 0;
`,
  },
  {
    version: 7,
    name: 'outcomes shown after a redirect',
    sql: `
-- What an admin or account action did, kept for the page its POST redirects
-- to (post/redirect/get), read once and deleted. The payload is sealed with a
-- key that only the redirect address carries, so a one-time secret in it (a
-- new password or token) is never readable from the database alone.
CREATE TABLE outcomes (
  id         TEXT PRIMARY KEY,
  session_id TEXT NOT NULL,
  sealed     BLOB NOT NULL,
  expires_at INTEGER NOT NULL
);
CREATE INDEX outcomes_expiry ON outcomes(expires_at);
`,
  },
  {
    version: 8,
    name: 'schedules',
    sql: `
-- One row per scheduled button. Every moment of its schedule up to the
-- watermark (ms) has been decided: run, skipped or missed. Moving the
-- watermark under the write lock is how one app process, and only one,
-- decides a moment. spec is the timing it was decided under: a changed
-- schedule starts afresh instead of counting the old one's moments as missed.
CREATE TABLE schedules (
  page_slug   TEXT NOT NULL,
  button_name TEXT NOT NULL,
  spec        TEXT NOT NULL,
  watermark   INTEGER NOT NULL,
  paused_at   TEXT,
  paused_by   TEXT,
  PRIMARY KEY (page_slug, button_name)
) WITHOUT ROWID;

-- Moments that passed without a run, with why. Consecutive ones of the same
-- kind are counted on one row, so a busy every-second schedule does not write
-- a row a second.
CREATE TABLE schedule_events (
  id          INTEGER PRIMARY KEY,
  page_slug   TEXT NOT NULL,
  button_name TEXT NOT NULL,
  outcome     TEXT NOT NULL CHECK (outcome IN ('missed', 'skipped')),
  first_at    INTEGER NOT NULL,
  last_at     INTEGER NOT NULL,
  count       INTEGER NOT NULL DEFAULT 1,
  at_least    INTEGER NOT NULL DEFAULT 0,
  reason      TEXT NOT NULL,
  recorded_at TEXT NOT NULL
);
CREATE INDEX schedule_events_button ON schedule_events(page_slug, button_name, id);

-- The moment a scheduled run was started for; NULL for runs people started.
-- Unique per button: a second run for one moment cannot be stored.
ALTER TABLE runs ADD COLUMN scheduled_for INTEGER;
CREATE UNIQUE INDEX runs_scheduled ON runs(page_slug, button_name, scheduled_for) WHERE scheduled_for IS NOT NULL;
`,
  },
  {
    version: 9,
    name: 'app instances',
    sql: `
-- Each app process serving this database, so that a restore can refuse to
-- replace the file under a live process. id names the process (host, pid,
-- random); seen_at (ms) is renewed every few seconds, so a row that stops
-- being renewed belongs to a process that was killed and is ignored.
CREATE TABLE app_instances (
  id         TEXT PRIMARY KEY,
  host       TEXT NOT NULL,
  pid        INTEGER NOT NULL,
  started_at INTEGER NOT NULL,
  seen_at    INTEGER NOT NULL
);
`,
  },
  {
    version: 10,
    name: 'maintenance claims',
    sql: `
-- One row per run of a periodic job (job, slot): the app process that inserts
-- it does the work, so several processes on one database sweep once. The
-- claimant beats heartbeat_at (ms) while it works; a claim left unfinished
-- with a stale heartbeat belongs to a process that is gone and is taken over.
-- detail holds what the work has done so far (JSON), kept in the same
-- transactions as the work itself.
CREATE TABLE maintenance (
  job          TEXT NOT NULL,
  slot         TEXT NOT NULL,
  claimed_by   TEXT NOT NULL,
  started_at   TEXT NOT NULL,
  heartbeat_at INTEGER NOT NULL,
  finished_at  TEXT,
  takeovers    INTEGER NOT NULL DEFAULT 0,
  detail       TEXT NOT NULL DEFAULT '{}',
  PRIMARY KEY (job, slot)
);
`,
  },
  {
    version: 11,
    name: 'notification outbox',
    sql: `
-- Something happened that people may be told about: a run ended, values were
-- saved, a save could not be published, a schedule missed its moment. Written
-- in the same transaction as what happened. data is the event's own part of
-- the body (JSON); body is the whole versioned body, fixed when the event is
-- fanned out to its targets (fanned_out = 1), so every target gets the same bytes.
CREATE TABLE notification_events (
  id          INTEGER PRIMARY KEY,
  uid         TEXT NOT NULL UNIQUE,
  type        TEXT NOT NULL,
  page_slug   TEXT,
  button_name TEXT,
  at          TEXT NOT NULL,
  data        TEXT NOT NULL,
  body        TEXT,
  fanned_out  INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX notification_events_pending ON notification_events(fanned_out, id);

-- One row per event and target. A target's deliveries go out in id order: the
-- oldest undelivered one holds back the later ones until it is delivered or
-- given up ('failed'). claim / claimed_until work as the publication outbox's.
CREATE TABLE deliveries (
  id               INTEGER PRIMARY KEY,
  uid              TEXT NOT NULL UNIQUE,
  event_id         INTEGER NOT NULL REFERENCES notification_events(id),
  target           TEXT NOT NULL,
  channel          TEXT NOT NULL CHECK (channel IN ('webhook', 'email')),
  state            TEXT NOT NULL CHECK (state IN ('pending', 'delivered', 'failed')),
  attempts         INTEGER NOT NULL DEFAULT 0,
  next_attempt_at  INTEGER NOT NULL DEFAULT 0,
  last_error       TEXT,
  last_status      INTEGER,
  response_excerpt TEXT,
  claim            TEXT,
  claimed_until    INTEGER NOT NULL DEFAULT 0,
  created_at       TEXT NOT NULL,
  updated_at       TEXT NOT NULL,
  delivered_at     TEXT
);
CREATE INDEX deliveries_target ON deliveries(target, state, id);
CREATE INDEX deliveries_state ON deliveries(state, id);
`,
  },
  {
    version: 12,
    name: 'runs reported from outside',
    sql: `
-- A run that a pipeline outside Switchyard reports through the API (created
-- running, no runner). Its lease_expires_at is renewed by each report, so a
-- pipeline that dies without finishing its run leaves it lost, not running.
-- silence_ms is how long that pipeline may be silent (it chose on create), so
-- the sweep can say when it was last heard from.
ALTER TABLE runs ADD COLUMN external INTEGER NOT NULL DEFAULT 0;
ALTER TABLE runs ADD COLUMN silence_ms INTEGER;
`,
  },  {
    version: 17,
    name: 'language per person',
    sql: `
-- The interface language a person chose (en, es, it, fr); NULL follows their browser.
ALTER TABLE users ADD COLUMN language TEXT;
`,
  },
  {
    version: 18,
    name: 'secret values marked where they are kept',
    sql: `
-- 1 for a value saved while its parameter was a secret. The mark goes with the
-- value, not the config: a secret whose parameter later becomes text, or is
-- removed, stays masked everywhere instead of showing in clear. Values saved
-- before this column are marked from the config at start (markSecretValues).
ALTER TABLE config_history ADD COLUMN secret INTEGER NOT NULL DEFAULT 0;
`,
  },
  {
    version: 14,
    name: 'log text search',
    sql: `
-- Words of the log lines, for the runs list's search in log text. Contentless
-- (the text stays only in run_logs), with deletes, so triggers keep it in step
-- with run_logs whoever writes or deletes there (runners, retention). A line's
-- rowid is run_id * 2^32 + seq, so a match names its run without a join; the
-- rare line past seq 2^32 is not indexed.
CREATE VIRTUAL TABLE run_logs_fts USING fts5(text, content = '', contentless_delete = 1);
CREATE TRIGGER run_logs_fts_insert AFTER INSERT ON run_logs WHEN new.seq < 4294967296 BEGIN
  INSERT INTO run_logs_fts (rowid, text) VALUES (new.run_id * 4294967296 + new.seq, new.text);
END;
CREATE TRIGGER run_logs_fts_delete AFTER DELETE ON run_logs WHEN old.seq < 4294967296 BEGIN
  DELETE FROM run_logs_fts WHERE rowid = old.run_id * 4294967296 + old.seq;
END;
INSERT INTO run_logs_fts (rowid, text) SELECT run_id * 4294967296 + seq, text FROM run_logs WHERE seq < 4294967296;
`,
  },
  {
    version: 16,
    name: 'button inputs and runner labels',
    sql: `
-- What a button asked when pressed (JSON object, name to typed value), kept
-- apart from params (the page's values) so the run page can show which were
-- asked; the runner gets both together.
ALTER TABLE runs ADD COLUMN inputs TEXT NOT NULL DEFAULT '{}';
-- The button's runs_on: at the time the run was queued (JSON array of
-- labels), NULL for any runner. Only a runner with every label claims it.
ALTER TABLE runs ADD COLUMN runs_on TEXT;
-- The labels a runner said it has on its last claim (JSON array).
ALTER TABLE runners ADD COLUMN labels TEXT NOT NULL DEFAULT '[]';
`,
  },
  {
    version: 13,
    name: 'secret parameters of a waiting run',
    sql: `
-- runs.params is shown on the run page and in the API, so it holds a secret
-- parameter masked; the real value waits here for the runner's claim. It is
-- forgotten as soon as the run ends, however it ends (the trigger), so it
-- lives only as long as a runner may still need it.
ALTER TABLE runs ADD COLUMN secret_params TEXT;
CREATE TRIGGER runs_forget_secret_params AFTER UPDATE OF state ON runs
  WHEN NEW.secret_params IS NOT NULL AND NEW.state NOT IN ('queued', 'running')
  BEGIN UPDATE runs SET secret_params = NULL WHERE id = NEW.id; END;
`,
  },
  {
    version: 15,
    name: 'reasons for saves',
    sql: `
-- Why a save was made, as its author wrote it (at most a few lines); NULL when
-- none was given. Kept on the save, so history, API, commit and notification
-- all read the one copy.
ALTER TABLE changes ADD COLUMN reason TEXT;
`,
  },
  {
    version: 19,
    name: 'files a run left',
    sql: `
-- A run's artifacts: files its script left for people to download, kept in
-- the database so every app process (and a backup) has them. Bounded per run
-- by the protocol (ARTIFACTS); deleted with their run.
-- (A rowid table: SQLite advises against WITHOUT ROWID for rows this large.)
CREATE TABLE run_artifacts (
  id          INTEGER PRIMARY KEY,
  run_id      INTEGER NOT NULL,
  name        TEXT NOT NULL,
  size        INTEGER NOT NULL,
  sha256      TEXT NOT NULL,
  body        BLOB NOT NULL,
  created_at  TEXT NOT NULL,
  UNIQUE (run_id, name)
);
-- The newest file of a name (the latest export, the choices a run lists).
CREATE INDEX run_artifacts_name ON run_artifacts(name, run_id);
`,
  },
  {
    version: 20,
    name: 'figures a run gave',
    sql: `
-- The figures a script wrote to SWITCHYARD_METRICS_FILE (JSON object, name to
-- number), kept when its run ends; NULL when it gave none. The dashboard charts
-- those its button declares under metrics:.
ALTER TABLE runs ADD COLUMN metrics TEXT;
`,
  },
  {
    version: 21,
    name: 'whom a run asks to tell',
    sql: `
-- The user names and addresses a script wrote to SWITCHYARD_NOTIFY_FILE (JSON
-- list), kept when its run ends; NULL when none. Its end's notification names
-- them, and email targets with run_recipients add those they allow.
ALTER TABLE runs ADD COLUMN notify TEXT;
`,
  },
  {
    version: 22,
    name: 'files given to a run',
    sql: `
-- Files people gave a run through a button's file inputs (type: file), one per
-- input, kept with it until the runner fetches them and for a re-run, which
-- copies them. Bounded by the config (max_size_mb); deleted with their run.
CREATE TABLE run_input_files (
  id      INTEGER PRIMARY KEY,
  run_id  INTEGER NOT NULL,
  input   TEXT NOT NULL,
  name    TEXT NOT NULL,
  size    INTEGER NOT NULL,
  sha256  TEXT NOT NULL,
  body    BLOB NOT NULL,
  UNIQUE (run_id, input)
);
`,
  },
  {
    version: 23,
    name: 'one publisher per Git target',
    sql: `
-- Which app process publishes to a Git target (a local working copy, a
-- repository's branch) now, and until when unless it renews. One at a time,
-- so commits go in save order and never race in one working copy; a process
-- that dies leaves it to the others (at once on its own host, else when it
-- lapses). Held only while there is work.
CREATE TABLE publisher_leases (
  target  TEXT PRIMARY KEY,
  holder  TEXT NOT NULL,
  until   INTEGER NOT NULL
);
`,
  },
  {
    version: 24,
    name: 'saves proposed on a side branch',
    sql: `
-- A save the target branch refused (protected), or that config.yaml asks to
-- propose (git.mode: pull_request), is committed on a side branch of its page
-- instead: one open proposal per page and target (a pull request on GitHub),
-- which the page's later saves update. Merged, its saves count as committed
-- (commit_sha then the merge commit); closed unmerged, they end 'closed'.
CREATE TABLE proposals (
  id          INTEGER PRIMARY KEY,
  target      TEXT NOT NULL,
  page_slug   TEXT NOT NULL,
  path        TEXT NOT NULL,
  branch      TEXT NOT NULL,
  number      INTEGER,
  url         TEXT,
  head_sha    TEXT NOT NULL,
  blob_sha    TEXT NOT NULL,
  state       TEXT NOT NULL CHECK (state IN ('open', 'merged', 'closed')),
  etag        TEXT,
  body        TEXT NOT NULL,
  checked_at  INTEGER NOT NULL DEFAULT 0,
  created_at  TEXT NOT NULL,
  updated_at  TEXT NOT NULL
);
CREATE UNIQUE INDEX proposals_open ON proposals(target, page_slug) WHERE state = 'open';
-- Which proposal each proposed save went into (kept off publications, which
-- other changes rebuild).
CREATE TABLE proposal_saves (
  change_id    INTEGER PRIMARY KEY,
  proposal_id  INTEGER NOT NULL
);
CREATE INDEX proposal_saves_proposal ON proposal_saves(proposal_id);

-- The state's CHECK gains 'proposed' and 'closed' (and 'superseded', which
-- changes adopted from Git use): SQLite widens a CHECK only by building the
-- table again, with every column it has by now.
CREATE TABLE publications_new (
  change_id       INTEGER PRIMARY KEY REFERENCES changes(id),
  page_slug       TEXT NOT NULL,
  target          TEXT NOT NULL,
  state           TEXT NOT NULL CHECK (state IN ('pending', 'committed', 'conflict', 'superseded', 'proposed', 'closed')),
  attempts        INTEGER NOT NULL DEFAULT 0,
  next_attempt_at INTEGER NOT NULL DEFAULT 0,
  last_error      TEXT,
  commit_sha      TEXT,
  commit_url      TEXT,
  created_at      TEXT NOT NULL,
  updated_at      TEXT NOT NULL,
  overwrite       INTEGER NOT NULL DEFAULT 0,
  claim           TEXT,
  claimed_until   INTEGER NOT NULL DEFAULT 0
);
INSERT INTO publications_new (change_id, page_slug, target, state, attempts, next_attempt_at, last_error, commit_sha, commit_url, created_at, updated_at, overwrite, claim, claimed_until)
  SELECT change_id, page_slug, target, state, attempts, next_attempt_at, last_error, commit_sha, commit_url, created_at, updated_at, overwrite, claim, claimed_until FROM publications;
DROP TABLE publications;
ALTER TABLE publications_new RENAME TO publications;
CREATE INDEX publications_state ON publications(state, change_id);
`,
  },
  {
    version: 25,
    name: 'changes made in Git',
    sql: `
-- A page's values file changed in the repository by someone else: found on a
-- poll or a push webhook, once per file content (blob). Adopted as a save
-- (state adopted, change_id the save), offered to editors (offered), kept
-- out by an editor who kept Switchyard's values (kept), refused because
-- config.yaml does not accept its values (refused, reason), or replaced by a
-- later change of the same file before anyone decided (superseded).
CREATE TABLE git_changes (
  id            INTEGER PRIMARY KEY,
  target        TEXT NOT NULL,
  page_slug     TEXT NOT NULL,
  path          TEXT NOT NULL,
  blob_sha      TEXT NOT NULL,
  commit_sha    TEXT NOT NULL,
  commit_url    TEXT,
  author_name   TEXT NOT NULL,
  author_email  TEXT NOT NULL,
  committed_at  TEXT,
  subject       TEXT NOT NULL,
  content       TEXT NOT NULL,
  state         TEXT NOT NULL,
  reason        TEXT,
  change_id     INTEGER,
  decided_by    TEXT,
  found_at      TEXT NOT NULL,
  decided_at    TEXT,
  UNIQUE (target, path, blob_sha)
);
CREATE INDEX git_changes_page ON git_changes(page_slug, state);
-- The commit a save's values came from, when it was adopted from Git.
ALTER TABLE changes ADD COLUMN origin_commit TEXT;
ALTER TABLE changes ADD COLUMN origin_url TEXT;
`,
  },
  {
    version: 26,
    name: 'failed logins counted in the database',
    sql: `
-- Failed logins per account and per address, so that every app process on the
-- database counts the same failures (kept in one process's memory, each of N
-- processes gave N times the tries). Rows past the window are deleted as new
-- failures come in.
CREATE TABLE login_failures (
  key           TEXT PRIMARY KEY,
  failures      INTEGER NOT NULL,
  last_failure  INTEGER NOT NULL
);
CREATE INDEX login_failures_last ON login_failures(last_failure);
`,
  },
  // Written in the order they were made; applied (and listed) by number.
].sort((a, b) => a.version - b.version);
