/**
 * A live run stream served by one app process shows what another process
 * on the same database recorded: its log lines, its progress and its end.
 * Two apps in this process on one libSQL file; the second's in-process
 * signals never reach the first, so only the database can carry it.
 */
import { join } from 'node:path';
import { afterEach, expect, it } from 'vitest';
import { createApp, type App } from '../../src/server/app.ts';
import { appendExternalLog, createExternalRun, finishExternalRun, reportExternalProgress } from '../../src/server/runs/external.ts';
import { createRun } from '../../src/server/runs/queue.ts';
import { readSettings } from '../../src/server/settings.ts';
import { createUser } from '../../src/server/users.ts';
import { runEventStream } from '../../src/web/run-stream.ts';
import { localApp, type LocalApp } from '../helpers/in-process.ts';

let local: LocalApp;
let other: App;
afterEach(() => {
  other?.db.close();
  local?.close();
});

/** Reads server-sent events from a stream until `done` says enough, or fails after `ms`. */
async function readEvents(reader: ReadableStreamDefaultReader<Uint8Array>, done: (events: { event: string; data: string }[]) => boolean, ms = 10_000) {
  const decoder = new TextDecoder();
  const events: { event: string; data: string }[] = [];
  let buffer = '';
  const deadline = Date.now() + ms;
  while (!done(events)) {
    const left = deadline - Date.now();
    if (left <= 0) throw new Error(`the stream did not show it: ${JSON.stringify(events)}`);
    const next = await Promise.race([reader.read(), new Promise<'late'>((r) => setTimeout(() => r('late'), left))]);
    if (next === 'late' || next.done) continue;
    buffer += decoder.decode(next.value, { stream: true });
    for (let i; (i = buffer.indexOf('\n\n')) >= 0; ) {
      const block = buffer.slice(0, i);
      buffer = buffer.slice(i + 2);
      const event = /^event: (.*)$/m.exec(block)?.[1];
      if (event) events.push({ event, data: /^data: (.*)$/m.exec(block)?.[1] ?? '' });
    }
  }
  return events;
}

it("streams the log lines, progress and end another process records", async () => {
  local = await localApp();
  other = await createApp(readSettings({ SWITCHYARD_CONFIG: join(local.dir, 'config.yaml'), SWITCHYARD_DATA_DIR: join(local.dir, 'data') }));
  const user = await createUser(local.app.db, { username: 'olivia', password: 'a long enough password', role: 'operator' });
  const live = await local.app.config.current();
  const page = live.config.pages.find((p) => p.slug === 'database-backup')!;
  const run = await createExternalRun(local.app.db, local.app.runs, { page, button: page.buttons[0]!, values: { mode: 'full' }, configRevision: live.revision, user: { id: user.id, username: user.username }, external: { silenceMs: 60_000 } });

  const abort = new AbortController();
  const reader = runEventStream(local.app, run, 0, abort.signal).body!.getReader();
  await readEvents(reader, (e) => e.some((x) => x.event === 'run')); // the stream has caught up: what follows is live
  // The other process records; this process's signals hear nothing of it.
  await appendExternalLog(other.db, other.runs, run.id, [{ text: 'from the other process', stream: 'stdout' }], { logMaxBytes: 1 << 20 });
  await reportExternalProgress(other.db, other.runs, run.id, 40, 'copying');
  await finishExternalRun(other.db, other.runs, run.id, { state: 'succeeded', exitCode: 0, error: null, report: null });
  const events = await readEvents(reader, (e) => e.some((x) => x.event === 'end'));
  abort.abort();
  await reader.cancel();
  expect(events.filter((e) => e.event === 'log').flatMap((e) => JSON.parse(e.data).lines.map((l: { text: string }) => l.text))).toEqual(['from the other process']);
  expect(events.filter((e) => e.event === 'run').map((e) => JSON.parse(e.data).state).at(-1)).toBe('succeeded');
});

it('wakes a runner claim waiting on one process when a run is queued through another', async () => {
  local = await localApp();
  other = await createApp(readSettings({ SWITCHYARD_CONFIG: join(local.dir, 'config.yaml'), SWITCHYARD_DATA_DIR: join(local.dir, 'data') }));
  const user = await createUser(local.app.db, { username: 'olivia', password: 'a long enough password', role: 'operator' });
  const live = await other.config.current();
  const page = live.config.pages.find((p) => p.slug === 'database-backup')!;
  const stop = local.app.runWatch.whileClaiming();
  // Only this process's signal ends the wait before the test's own deadline: nothing here tells it but the database.
  const woken = local.app.runs.waitForQueued(60_000).then(() => 'woken');
  await createRun(other.db, other.runs, { page, button: page.buttons[0]!, values: { mode: 'full' }, configRevision: live.revision, user: { id: user.id, username: user.username } });
  expect(await woken).toBe('woken');
  stop();
}, 15_000);
