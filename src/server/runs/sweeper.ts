/** Declares runs lost once their runner has been silent past the lease. */
import type { App } from '../app.ts';
import { sweepLost } from './queue.ts';

export function startSweeper(app: App, everyMs = 1000): () => void {
  let busy = false;
  const timer = setInterval(async () => {
    if (busy) return;
    busy = true;
    try {
      const lost = await sweepLost(app.db, app.runs, Date.now(), app.settings.runLeaseMs);
      if (lost.length) console.warn(`Runs ${lost.join(', ')} lost: their runner stopped answering.`);
    } catch (e) {
      console.error('Checking for lost runs failed:', e);
    } finally {
      busy = false;
    }
  }, everyMs);
  timer.unref();
  return () => clearInterval(timer);
}
