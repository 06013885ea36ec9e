/**
 * The V8 options the app and the runner are started with, to keep their memory
 * down. The one list: package.json's `start` and `runner` scripts, the
 * ExecStart= of deploy/*.service, the local runner and the test helpers use
 * these, and test/unit/deploy.test.ts holds them to it. They are options on the
 * command line, not NODE_OPTIONS, so the scripts a runner starts never inherit them.
 */

/**
 * A small young generation (semi-space, default up to 32 MiB each) keeps a page
 * GET's short-lived objects from growing it to 128 MB under load. An old
 * generation limit at or under 256 MiB makes V8 grow the heap by the least
 * factor, so garbage promoted under load is collected at about 30 MB instead of
 * piling up to 200 MB and more; 256 MiB still leaves room for the largest bodies
 * (32 MiB forms, runners' 16 MiB log batches: test/integration/heap-limit.test.ts).
 */
export const APP_NODE_FLAGS: readonly string[] = ['--max-semi-space-size=2', '--max-old-space-size=256'];

/**
 * The runner: the small young generation only. Its old generation is left
 * alone: while the app cannot be reached it may hold 20,000 log lines of up to
 * 8 KiB (LIMITS.bufferedEvents), about 160 MB.
 */
export const RUNNER_NODE_FLAGS: readonly string[] = ['--max-semi-space-size=1'];
