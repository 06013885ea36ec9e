/**
 * A run's artifacts: the files its script left for people to download. The
 * runner sends them one by one before it finishes the run; each is checked
 * against the run's lease and the protocol's bounds, and kept in the
 * database, so any app process can serve it and retention removes it with
 * its run.
 */
import { createHash } from 'node:crypto';
import { ARTIFACT_NAME, ARTIFACTS } from '../../protocol/index.ts';
import type { Database, Executor, Transaction } from '../db.ts';
import type { RunnerRecord } from '../runners.ts';
import { checkLease } from './lease.ts';

export interface ArtifactInfo {
  name: string;
  size: number;
  sha256: string;
  createdAt: string;
}

export interface Artifact extends ArtifactInfo {
  runId: number;
  body: Uint8Array;
}

export type StoreOutcome = { ok: true } | { ok: false; status: 400 | 409 | 413; reason: string };

const sha256Of = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex');

/** Keeps one file of a running run, replacing an earlier one of the same name (a resend). */
export async function storeArtifact(
  db: Database,
  runner: RunnerRecord,
  runId: number,
  file: { lease: string; name: string; body: Uint8Array; sha256: string },
): Promise<StoreOutcome> {
  if (!ARTIFACT_NAME.test(file.name)) return { ok: false, status: 400, reason: `${JSON.stringify(file.name.slice(0, 200))} is not a plain file name (letters, digits, . _ -; at most 128)` };
  if (file.body.byteLength > ARTIFACTS.fileBytes) return { ok: false, status: 413, reason: `${file.name} is larger than ${ARTIFACTS.fileBytes} bytes` };
  if (sha256Of(file.body) !== file.sha256) return { ok: false, status: 400, reason: `${file.name} arrived damaged: its SHA-256 differs from the one sent` };
  return db.transaction(async (tx) => {
    const lease = await checkLease(tx, runner, runId, file.lease);
    if (!lease.ok) return { ok: false as const, status: 409 as const, reason: lease.reason };
    const room = await roomFor(tx, runId, file.name, file.body.byteLength);
    if (room) return { ok: false as const, status: 413 as const, reason: room };
    await tx.execute({
      sql: `INSERT INTO run_artifacts (run_id, name, size, sha256, body, created_at) VALUES (?, ?, ?, ?, ?, ?)
            ON CONFLICT (run_id, name) DO UPDATE SET size = excluded.size, sha256 = excluded.sha256, body = excluded.body, created_at = excluded.created_at`,
      args: [runId, file.name, file.body.byteLength, file.sha256, file.body, new Date().toISOString()],
    });
    await tx.commit();
    return { ok: true as const };
  });
}

/** Why the run has no room for this file (count or total), or undefined. A resend of a name replaces it, so it does not count twice. */
async function roomFor(tx: Transaction, runId: number, name: string, size: number): Promise<string | undefined> {
  const { rows } = await tx.execute({ sql: 'SELECT count(*) AS n, coalesce(sum(size), 0) AS bytes FROM run_artifacts WHERE run_id = ? AND name <> ?', args: [runId, name] });
  const [n, bytes] = [Number(rows[0]!.n), Number(rows[0]!.bytes)];
  if (n >= ARTIFACTS.maxFiles) return `run ${runId} has ${ARTIFACTS.maxFiles} files already, the most a run keeps`;
  if (bytes + size > ARTIFACTS.runBytes) return `run ${runId}'s files would pass ${ARTIFACTS.runBytes} bytes together`;
  return undefined;
}

const info = (r: Record<string, unknown>): ArtifactInfo => ({ name: String(r.name), size: Number(r.size), sha256: String(r.sha256), createdAt: String(r.created_at) });

/** The files of a run, by name, without their bodies. */
export async function listArtifacts(ex: Executor, runId: number): Promise<ArtifactInfo[]> {
  const { rows } = await ex.execute({ sql: 'SELECT name, size, sha256, created_at FROM run_artifacts WHERE run_id = ? ORDER BY name', args: [runId] });
  return rows.map(info);
}

function artifactOf(r: Record<string, unknown> | undefined): Artifact | undefined {
  if (!r) return undefined;
  const body = r.body instanceof ArrayBuffer ? new Uint8Array(r.body) : (r.body as Uint8Array);
  return { ...info(r), runId: Number(r.run_id), body };
}

export async function readArtifact(ex: Executor, runId: number, name: string): Promise<Artifact | undefined> {
  if (!ARTIFACT_NAME.test(name)) return undefined;
  const { rows } = await ex.execute({ sql: 'SELECT run_id, name, size, sha256, body, created_at FROM run_artifacts WHERE run_id = ? AND name = ?', args: [runId, name] });
  return artifactOf(rows[0]);
}

/**
 * The file of this name from the newest succeeded run of a button (or of any
 * button of the page) that left one: a stable address for "the latest
 * export". A failed run's partial file never replaces the last good one.
 */
export async function latestArtifact(ex: Executor, page: string, button: string | undefined, name: string): Promise<Artifact | undefined> {
  if (!ARTIFACT_NAME.test(name)) return undefined;
  // Newest first by the file's run; with no button, any button of the page.
  const { rows } = await ex.execute({
    sql: `SELECT a.run_id, a.name, a.size, a.sha256, a.body, a.created_at FROM run_artifacts a JOIN runs r ON r.id = a.run_id
          WHERE a.name = ? AND r.page_slug = ? AND r.button_name = coalesce(?, r.button_name) AND r.state = 'succeeded' ORDER BY a.run_id DESC LIMIT 1`,
    args: [name, page, button ?? null],
  });
  return artifactOf(rows[0]);
}
