/**
 * The live view of one run as Server-Sent Events: the run's state, then its
 * log from where the client left off (Last-Event-ID), then every change as it
 * happens, until the run has ended and all its lines are out.
 *
 *   event: run   data: the run as JSON (state, progress, message, …)
 *   event: log   data: {"lines":[{seq, at, stream, text}]}   id: last seq
 *   event: end   the run is over; the stream closes
 */
import type { App } from '../server/app.ts';
import { isFinal } from '../protocol/index.ts';
import type { RunUpdate } from '../server/runs/notify.ts';
import { runJson } from '../server/runs/json.ts';
import { getRun, runLog, type LogLine, type RunView } from '../server/runs/read.ts';

const KEEPALIVE_MS = 15_000;

export function runEventStream(app: App, initial: RunView, lastEventId: number, signal: AbortSignal): Response {
  const encoder = new TextEncoder();
  let sentSeq = lastEventId;
  let lastRunJson = '';
  let closed = false;
  const cleanups: (() => void)[] = [];

  const body = new ReadableStream<Uint8Array>({
    async start(controller) {
      const write = (text: string) => {
        if (!closed) controller.enqueue(encoder.encode(text));
      };
      const close = () => {
        if (closed) return;
        closed = true;
        cleanups.forEach((c) => c());
        try {
          controller.close();
        } catch {
          /* already closed by the client */
        }
      };
      const sendRun = (run: RunView) => {
        const data = JSON.stringify(runJson(run));
        if (data === lastRunJson) return;
        lastRunJson = data;
        write(`event: run\ndata: ${data}\n\n`);
      };
      const sendLines = (lines: LogLine[]) => {
        const fresh = lines.filter((l) => l.seq > sentSeq);
        if (fresh.length === 0) return;
        sentSeq = fresh[fresh.length - 1]!.seq;
        write(`id: ${sentSeq}\nevent: log\ndata: ${JSON.stringify({ lines: fresh })}\n\n`);
      };
      let latest = initial;
      let ending = false;
      // Once the run is final every line is stored (the runner sends them all before it
      // finishes): send what is left and end. Not by comparing with the run's last sequence
      // number, which also counts progress updates and dropped lines that are no log line.
      const maybeEnd = async () => {
        if (!isFinal(latest.state) || ending || closed) return;
        ending = true;
        for (;;) {
          const lines = await runLog(app.db, initial.id, sentSeq, 5000).catch(() => []);
          if (lines.length === 0 || closed) break;
          sendLines(lines);
        }
        write('event: end\ndata: {}\n\n');
        close();
      };
      // Subscribe before reading the backlog so nothing falls between the two.
      const queued: RunUpdate[] = [];
      let caughtUp = false;
      const onUpdate = (u: RunUpdate) => {
        if (!caughtUp) return void queued.push(u);
        if (u.type === 'log') sendLines(u.lines);
        else {
          latest = u.run;
          sendRun(u.run);
        }
        void maybeEnd();
      };
      cleanups.push(app.runs.subscribe(initial.id, onUpdate));
      signal.addEventListener('abort', close, { once: true });
      write('retry: 1000\n\n');
      sendRun(initial);
      for (;;) {
        const lines = await runLog(app.db, initial.id, sentSeq, 5000);
        if (lines.length === 0 || closed) break;
        sendLines(lines);
      }
      caughtUp = true;
      queued.splice(0).forEach(onUpdate);
      await maybeEnd();
      if (closed) return;
      // Changes made through another app instance reach this one only through the database:
      // the process's one watcher says when the run moved, and only then is it read.
      let reading = false;
      // The sequence read last: it also counts progress updates, which are no log line.
      let seenSeq = Math.max(sentSeq, latest.lastSeq);
      const stopWatching = app.runWatch.watch(initial.id, async (mark) => {
        if (closed || reading || (mark.lastSeq <= seenSeq && mark.state === latest.state)) return;
        reading = true;
        try {
          const run = await getRun(app.db, initial.id).catch(() => undefined);
          if (!run || closed) return;
          if (run.lastSeq > sentSeq) sendLines(await runLog(app.db, initial.id, sentSeq, 5000));
          seenSeq = run.lastSeq;
          latest = run;
          sendRun(run);
          await maybeEnd();
        } finally {
          reading = false;
        }
      });
      const keepalive = setInterval(() => write(': keepalive\n\n'), KEEPALIVE_MS);
      cleanups.push(stopWatching, () => clearInterval(keepalive));
    },
    cancel() {
      closed = true;
      cleanups.forEach((c) => c());
    },
  });
  return new Response(body, {
    headers: { 'Content-Type': 'text/event-stream; charset=utf-8', 'Cache-Control': 'no-store', 'X-Accel-Buffering': 'no' },
  });
}
