/**
 * npm does not pass SIGTERM on to the script it runs: a supervisor that stops
 * `npm start` ends npm and leaves this process serving, re-parented. So a
 * process started under a parent takes the parent's end as its signal to
 * stop, as it would on SIGTERM. Used by the runner and by `npm start`
 * (src/cli/start.ts), which borrows it: the runner itself imports nothing of
 * the app's but the protocol.
 */
export function stopWhenParentEnds(stop: (why: string) => void, everyMs = 250): void {
  const parent = process.ppid;
  if (parent <= 1) return; // started by init or a supervisor directly: nothing to watch
  const timer = setInterval(() => {
    if (process.ppid === parent) return;
    clearInterval(timer);
    stop(`the process that started it (pid ${parent}) ended`);
  }, everyMs);
  timer.unref();
}
