/** A server, a runner, and Chromium logged in as an operator: what the run pages' browser tests start from. */
import type { Page } from 'playwright-core';
import { launchBrowser, logIn, watchedPage } from './browser.ts';
import { startRunner, type TestRunner } from './runner.ts';
import { startServer, type StartOptions, type TestServer } from './server.ts';

export const OLGA = { name: 'olga', role: 'operator', password: 'olga-password' } as const;

export interface OperatorBrowser {
  server: TestServer;
  runner: TestRunner;
  page: Page;
  /** Console errors and uncaught exceptions of `page`, CSP violations included. */
  consoleErrors: string[];
  stop: () => Promise<void>;
}

/** Starts it all and opens `next` as olga; the runner gets `runnerEnv` on top of the usual. */
export async function operatorBrowser(opts: { server?: StartOptions; runner: string; runnerEnv?: Record<string, string>; next: string }): Promise<OperatorBrowser> {
  const server = await startServer({ ...opts.server, users: [OLGA] });
  const started: (() => Promise<void>)[] = [() => server.stop()];
  // Stops, newest first, whatever has started.
  const stop = async () => {
    for (const end of started.splice(0).reverse()) await end();
  };
  try {
    const runner = await startRunner(server, opts.runner, opts.runnerEnv);
    started.push(() => runner.stop());
    const browser = await launchBrowser();
    started.push(() => browser.close());
    const consoleErrors: string[] = [];
    const page = await watchedPage(browser.context, consoleErrors);
    await logIn(page, server.url, OLGA, opts.next);
    return { server, runner, page, consoleErrors, stop };
  } catch (e) {
    await stop();
    throw e;
  }
}
