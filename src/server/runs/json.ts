/**
 * The run as JSON: what the API answers for a run and what a run page's live
 * stream sends in its `run` events. Defined once; the browser code imports
 * `RunJson` as a type, so a change of shape shows in the type check there.
 */
import type { RunView } from './read.ts';

export function runJson(run: RunView) {
  return {
    id: run.id,
    page: run.page,
    button: run.button,
    state: run.state,
    exit_code: run.exitCode,
    signal: run.signal,
    progress: run.progress,
    message: run.message,
    error: run.error,
    requested_by: run.requestedBy,
    scheduled_for: run.scheduledFor,
    runner: run.runner,
    external: run.external,
    rerun_of: run.rerunOf,
    created_at: run.createdAt,
    started_at: run.startedAt,
    finished_at: run.finishedAt,
    cancel_requested_by: run.cancelRequestedBy,
    timeout_ms: run.timeoutMs,
    params: run.params,
    inputs: run.inputs,
    runs_on: run.runsOn,
    log: { lines: run.logLines, bytes: run.logBytes, truncated: run.logTruncated },
    report: run.reportType ? { type: run.reportType, truncated: run.reportTruncated } : null,
    metrics: run.metrics,
    artifacts: run.artifacts.map((a) => ({ ...a, url: `/runs/${run.id}/artifacts/${a.name}` })),
  };
}

export type RunJson = ReturnType<typeof runJson>;
