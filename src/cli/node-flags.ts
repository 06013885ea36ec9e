/**
 * The V8 options the app and the runner are started with, to keep their memory
 * down. The one list: package.json's `start` and `runner` scripts, the
 * ExecStart= of deploy/*.service, the local runner and the test helpers use
 * these, and test/unit/deploy.test.ts holds them to it. They are options on the
 * command line, not NODE_OPTIONS, so the scripts a runner starts never inherit them.
 */

/**
 * Measured on the built app under page GETs at concurrency 16 (npm run bench:memory,
 * npm run bench:node-flags): by default the young generation grows to 128 MB, and the old
 * one to 115-235 MB of mostly garbage (request objects promoted while still in flight)
 * before V8 collects it: about 390 MB of RSS after the load. An 8 MiB semi-space and an
 * old generation limited to 256 MiB keep it near 200 MB at 0.95-0.98 of the default
 * throughput (a 2 MiB semi-space saved another 10 MB but cost 10-16 % of it). The limit
 * leaves room for the largest bodies (32 MiB forms, runners' 16 MiB log batches:
 * test/integration/heap-limit.test.ts).
 */
export const APP_NODE_FLAGS: readonly string[] = ['--max-semi-space-size=8', '--max-old-space-size=256'];

/**
 * The runner: the small young generation only. Its old generation is left
 * alone: while the app cannot be reached it may hold 20,000 log lines of up to
 * 8 KiB (LIMITS.bufferedEvents), about 160 MB.
 */
export const RUNNER_NODE_FLAGS: readonly string[] = ['--max-semi-space-size=1'];

/**
 * glibc's malloc for the app, set in its environment before it starts (package.json's
 * `start`, the unit's Environment=, the test helper). glibc starts handing large blocks
 * (128 KiB and up) to mmap, which returns them to the system when freed, but raises that
 * threshold each time such a block is freed; after a while under load they stay in its heap
 * and the process keeps about 10 MB more. A fixed threshold keeps it where it starts.
 * The local runner and its scripts inherit it; for them it is glibc's own starting value.
 */
export const APP_MALLOC_ENV: Readonly<Record<string, string>> = { MALLOC_MMAP_THRESHOLD_: '131072' };
