/**
 * Files given to runs through a button's file inputs: kept in the database
 * with their run (any app process can hand them to a runner, a backup has
 * them, retention removes them with the run), written in the transaction
 * that creates the run, so a refused or failed start keeps nothing.
 */
import type { FileValue } from '../../core/config/schema.ts';
import type { Executor, Transaction } from '../db.ts';
import type { RunnerRecord } from '../runners.ts';

/** Keeps the files given to a new run, by input name, with their records. */
export async function storeInputFilesIn(tx: Transaction, runId: number, files: { input: string; value: FileValue; bytes: Uint8Array }[]): Promise<void> {
  for (const f of files) {
    await tx.execute({
      sql: 'INSERT INTO run_input_files (run_id, input, name, size, sha256, body) VALUES (?, ?, ?, ?, ?, ?)',
      args: [runId, f.input, f.value.name, f.value.size, f.value.sha256, f.bytes],
    });
  }
}

/** A re-run takes these inputs' files from the run it repeats. */
export async function copyInputFilesIn(tx: Transaction, fromRun: number, toRun: number, inputs: string[]): Promise<void> {
  if (!inputs.length) return;
  await tx.execute({
    sql: `INSERT INTO run_input_files (run_id, input, name, size, sha256, body)
          SELECT ?, input, name, size, sha256, body FROM run_input_files WHERE run_id = ? AND input IN (${inputs.map(() => '?').join(',')})`,
    args: [toRun, fromRun, ...inputs],
  });
}

/** The records of a run's files, by input name (what a runner is told). */
export async function inputFilesOf(ex: Executor, runId: number): Promise<Record<string, FileValue>> {
  const { rows } = await ex.execute({ sql: 'SELECT input, name, size, sha256 FROM run_input_files WHERE run_id = ? ORDER BY input', args: [runId] });
  return Object.fromEntries(rows.map((r) => [String(r.input), { name: String(r.name), size: Number(r.size), sha256: String(r.sha256) }]));
}

export type InputFileOutcome = { ok: true; body: Uint8Array } | { ok: false; status: 404 | 409; reason: string };

/** One file of a run, for the runner that holds its lease: a read, so fetching never waits for the write lock. */
export async function inputFileForRunner(db: Executor, runner: RunnerRecord, runId: number, lease: string, input: string): Promise<InputFileOutcome> {
  const { rows } = await db.execute({
    sql: `SELECT r.state, r.runner_id, r.lease, f.body FROM runs r LEFT JOIN run_input_files f ON f.run_id = r.id AND f.input = ? WHERE r.id = ?`,
    args: [input, runId],
  });
  const r = rows[0];
  if (!r) return { ok: false, status: 409, reason: `run ${runId} does not exist` };
  if (Number(r.runner_id) !== runner.id || r.lease !== lease) return { ok: false, status: 409, reason: `run ${runId} is not leased to this runner` };
  if (r.state !== 'running') return { ok: false, status: 409, reason: `run ${runId} is already ${r.state}` };
  if (r.body == null) return { ok: false, status: 404, reason: `run ${runId} has no file for input ${JSON.stringify(input.slice(0, 100))}` };
  return { ok: true, body: r.body instanceof ArrayBuffer ? new Uint8Array(r.body) : (r.body as unknown as Uint8Array) };
}
