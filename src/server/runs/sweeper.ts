/**
 * Declares runs lost once their runner has been silent past the lease — but
 * only silence this app process could have heard.
 *
 * A lease lapses in wall-clock time, yet a runner's heartbeats only renew it
 * while an app is up to receive them. After the app was down (a restart that
 * rebuilds, a crash) or frozen (SIGSTOP, a stalled VM) for longer than a lease,
 * every lease has lapsed although the runners were heartbeating all along; and
 * after a freeze the event loop runs this timer before it reads the queued
 * heartbeats. So the rule is:
 *
 *   a process sweeps only once it has been awake, ticking on time, for a whole
 *   lease; a tick that comes late (the process did not run) starts that count
 *   again.
 *
 * Within a lease of our own listening, a live runner has called in (it
 * retries at least every heartbeat), so a lease still lapsed then means the
 * runner was silent while we could hear it. Awake time is measured on the
 * monotonic clock, which keeps counting through a freeze, so the gap shows.
 * With several app processes on one database each judges its own wakefulness,
 * and the database stays the arbiter: any process renews a lease on any
 * heartbeat, and `sweepLost` only compares the stored expiry to now.
 */
import type { App } from '../app.ts';
import { sweepLost } from './queue.ts';
import { log } from '../log.ts';

export function startSweeper(app: App, everyMs = 1000): () => void {
  const leaseMs = app.settings.runLeaseMs;
  // A stall short against the lease cannot make a live runner's lease lapse
  // (it heartbeats every few seconds); a longer one might, so it costs a grace.
  const lateMs = Math.max(1000, leaseMs / 4);
  let awakeSince = performance.now();
  let lastTick = awakeSince;
  let lastWall = Date.now();
  let busy = false;
  const timer = setInterval(async () => {
    const now = performance.now();
    const wall = Date.now();
    // The monotonic clock shows a freeze or a starved loop; it stops during a suspend of the
    // whole host, which only the wall clock shows (as it does a clock set forward).
    const late = Math.max(now - lastTick, wall - lastWall) - everyMs;
    lastTick = now;
    lastWall = wall;
    if (late > lateMs) {
      awakeSince = now;
      log().warn(`The app did not run for ${(late / 1000).toFixed(1)} s (stopped or starved): runs get a lease of grace before any is declared lost.`);
    }
    if (busy || now - awakeSince < leaseMs) return;
    busy = true;
    try {
      const lost = await sweepLost(app.db, app.runs, Date.now(), leaseMs);
      if (lost.length) log().warn(`Runs ${lost.join(', ')} lost: their runner stopped answering. (For a run reported from outside: the pipeline reporting it stopped reporting.)`);
    } catch (e) {
      log().error({ err: e }, 'Checking for lost runs failed');
    } finally {
      busy = false;
    }
  }, everyMs);
  timer.unref();
  return () => clearInterval(timer);
}
