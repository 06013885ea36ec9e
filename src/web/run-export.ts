/**
 * The runs list as a download, CSV or JSON, with the list's own filters and
 * access (only runs of pages the viewer may see), newest first, read from the
 * database page by page while it streams so a long list never sits in memory.
 */
import type { App } from '../server/app.ts';
import type { Viewer } from '../server/auth/access.ts';
import { runJson } from '../server/runs/json.ts';
import type { RunFilter, RunView } from '../server/runs/read.ts';
import { visibleRuns } from '../server/runs/service.ts';
import { runSeconds } from '../core/time.ts';
import { csvRow } from '../core/csv.ts';

/** At most this many runs in one download: past it, narrow the filters (the JSON says so with `more`). */
export const EXPORT_MAX = 10_000;
const PAGE = 500;

export const CSV_COLUMNS = ['id', 'page', 'button', 'state', 'requested_by', 'scheduled_for', 'created_at', 'started_at', 'finished_at', 'duration_s', 'exit_code', 'runner', 'external', 'error'] as const;

function runCsv(r: RunView): string {
  return csvRow([r.id, r.page, r.button, r.state, r.requestedBy, r.scheduledFor, r.createdAt, r.startedAt, r.finishedAt, runSeconds(r) ?? null, r.exitCode, r.runner, r.external, r.error]);
}

type Filter = Omit<RunFilter, 'pages' | 'limit'>;

/** Pages of the list from newest to oldest, up to EXPORT_MAX runs; the last call says whether more were left out. */
async function* pages(app: App, viewer: Viewer, filter: Filter): AsyncGenerator<{ runs: RunView[]; last: boolean; cut: boolean }> {
  let before = filter.before;
  let sent = 0;
  for (;;) {
    const { runs, more } = await visibleRuns(app, viewer, { ...filter, before }, Math.min(PAGE, EXPORT_MAX - sent));
    sent += runs.length;
    const last = !more || sent >= EXPORT_MAX;
    yield { runs, last, cut: more && sent >= EXPORT_MAX };
    if (last) return;
    before = runs.at(-1)!.id;
  }
}

export function runsExport(app: App, viewer: Viewer, filter: Filter, format: 'csv' | 'json'): Response {
  const encoder = new TextEncoder();
  const source = pages(app, viewer, filter);
  let first = true;
  const body = new ReadableStream<Uint8Array>({
    async pull(controller) {
      const next = await source.next();
      if (next.done) return controller.close();
      const { runs, last, cut } = next.value;
      let text: string;
      if (format === 'csv') text = (first ? csvRow([...CSV_COLUMNS]) : '') + runs.map(runCsv).join('');
      else {
        // One JSON document across pages: its opening, the runs, and on the last page its close.
        const items = runs.map((r) => JSON.stringify(runJson(r))).join(',');
        text = (first ? '{"runs":[' : items ? ',' : '') + items + (last ? `],"more":${cut}}\n` : '');
      }
      first = false;
      controller.enqueue(encoder.encode(text));
    },
  });
  const stamp = new Date().toISOString().slice(0, 10);
  return new Response(body, {
    headers: {
      'Content-Type': format === 'csv' ? 'text/csv; charset=utf-8' : 'application/json; charset=utf-8',
      'Content-Disposition': `attachment; filename="runs-${stamp}.${format}"`,
      'Cache-Control': 'no-store',
    },
  });
}
