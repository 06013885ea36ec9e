/** Waiting for a run, as a client polling its JSON would. */
import { getJson, type Client } from './client.ts';

export const FINAL = ['succeeded', 'failed', 'cancelled', 'timed_out', 'lost'];

/** The run once `check` holds for it; fails with the last state seen after `ms`. */
export async function waitForRun<T extends { state: string }>(c: Client, id: number, check: (r: T) => boolean, ms = 20_000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const run = await getJson<T>(c, `/runs/${id}`).catch(() => undefined);
    if (run && check(run)) return run;
    if (Date.now() > deadline) throw new Error(`run ${id}: condition not met (${JSON.stringify(run)})`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

export const ended = (r: { state: string }) => FINAL.includes(r.state);
