/**
 * Runs as addresses and downloads: the run id in a path, the list's filters
 * in a query string, the whole log as a file.
 */
import { RUN_STATES, type RunState } from '../protocol/index.ts';
import type { App } from '../server/app.ts';
import { runLog, type RunFilter, type RunView } from '../server/runs/read.ts';
import { notFound } from '../server/refused.ts';

/** A run id as written in an address: digits only, else there is no such run (and no "NaN" in a message). */
export function runIdFrom(text: string | undefined): number {
  const id = /^\d{1,15}$/.test(text ?? '') ? Number(text) : NaN;
  if (!Number.isSafeInteger(id) || id <= 0) throw notFound((t) => t('http.noRun', { id: JSON.stringify(String(text ?? '').slice(0, 40)) }));
  return id;
}

/**
 * A day (YYYY-MM-DD, taken as UTC) or a moment (ISO 8601) from a query
 * string, as an ISO moment: a day's start, or with `end` the next day's start,
 * so a range of days includes its last day. Anything else: undefined.
 */
export function momentFrom(text: string | null, end = false): string | undefined {
  if (!text) return undefined;
  if (/^\d{4}-\d{2}-\d{2}$/.test(text)) {
    const day = Date.parse(`${text}T00:00:00Z`);
    return Number.isNaN(day) ? undefined : new Date(day + (end ? 86_400_000 : 0)).toISOString();
  }
  const at = /^\d{4}-\d{2}-\d{2}T/.test(text) ? Date.parse(text) : NaN;
  return Number.isNaN(at) ? undefined : new Date(at).toISOString();
}

/** The runs list's filters, as the /runs page, its exports and the API all read them from a query string. */
export function runFilterFrom(q: URLSearchParams): Omit<RunFilter, 'pages' | 'limit'> {
  const state = q.get('state') ?? '';
  return {
    page: q.get('page') || undefined,
    button: q.get('button') || undefined,
    user: q.get('user') || undefined,
    state: (RUN_STATES as readonly string[]).includes(state) ? (state as RunState) : undefined,
    before: Number(q.get('before')) || undefined,
    q: q.get('q')?.trim().slice(0, 200) || undefined,
    from: momentFrom(q.get('from')),
    to: momentFrom(q.get('to'), true),
  };
}

/** The filters back as a query string (for "older runs", the exports and the live refresh). */
export function runFilterQuery(filter: Omit<RunFilter, 'pages' | 'limit'>, extra: Record<string, string | number | undefined> = {}): URLSearchParams {
  const entries = Object.entries({ ...filter, ...extra }).filter(([, v]) => v !== undefined && v !== '');
  return new URLSearchParams(entries.map(([k, v]) => [k, String(v)]));
}

/** The whole log as a text download, streamed in chunks so a large log never sits in memory. */
export function runLogDownload(app: App, run: RunView): Response {
  let after = 0;
  const encoder = new TextEncoder();
  const body = new ReadableStream<Uint8Array>({
    async pull(controller) {
      const lines = await runLog(app.db, run.id, after, 5000);
      if (lines.length === 0) return controller.close();
      after = lines[lines.length - 1]!.seq;
      controller.enqueue(encoder.encode(lines.map((l) => `${l.at} ${l.stream.padEnd(6)} ${l.text}\n`).join('')));
    },
  });
  return new Response(body, {
    headers: {
      'Content-Type': 'text/plain; charset=utf-8',
      'Content-Disposition': `attachment; filename="run-${run.id}-${run.page}-${run.button}.log"`,
      'Cache-Control': 'no-store',
    },
  });
}
