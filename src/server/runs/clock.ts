/**
 * Maps a timestamp of the runner's clock onto the app's. Run times are shown
 * and subtracted from the app's own (created, claimed): taken raw, a runner
 * whose clock is off would make a run take negative time.
 */
export type RunnerClock = (runnerTime: string) => string;

/** For a request whose runner sent its time: shift by the difference, and nothing can have happened after it arrived. */
export function runnerClock(runnerNow: string | null, appNow = Date.now()): RunnerClock {
  const sent = runnerNow ? Date.parse(runnerNow) : Number.NaN;
  // A runner that does not say its time: what it sends is stamped when it arrives.
  if (Number.isNaN(sent)) return () => new Date(appNow).toISOString();
  const offset = appNow - sent;
  return (at) => {
    const t = Date.parse(at) + offset;
    return new Date(Number.isNaN(t) ? appNow : Math.min(t, appNow)).toISOString();
  };
}

/** For callers already on the app's clock. */
export const sameClock: RunnerClock = (at) => at;
