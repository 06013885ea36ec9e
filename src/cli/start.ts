/**
 * `npm start`: builds the site if its sources changed, checks the config,
 * migrates the database, makes the first admin if there is none, then serves.
 * Anything wrong stops here with a message, before the port is opened.
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { createServer, type RequestListener } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { randomBytes } from 'node:crypto';
import { createApp, setApp, type App } from '../server/app.ts';
import { ConfigError } from '../server/config-store.ts';
import { SECURITY_HEADERS } from '../web/http.ts';
import { applyTrustedProxy } from '../web/proxy.ts';
import { startSweeper } from '../server/runs/sweeper.ts';
import { startRetention } from '../server/retention-schedule.ts';
import { startPublisher } from '../server/git/worker.ts';
import { startDeliveries } from '../server/notify/worker.ts';
import { startScheduler } from '../server/schedules/scheduler.ts';
import { startLocalRunner, type LocalRunner } from './local-runner.ts';
import { applyConfigFlag, runnerRoot, siteFlag } from './site-flag.ts';
import { stopWhenParentEnds } from '../../runner/parent-watch.ts';
import { readSettings } from '../server/settings.ts';
import { databaseLayoutProblem } from '../server/data-layout.ts';
import { countUsers, createUser } from '../server/users.ts';
import { startInstance } from '../server/instances.ts';
import { createLogger, log, setLogger } from '../server/log.ts';
import { traced } from '../web/request-trace.ts';
import { loadStaticFiles, serveStatic } from './static-files.ts';
import { metricsTokenProblem } from '../web/metrics-routes.ts';
import { processCount, SERVING_ONLY, startServingProcesses, type ServingProcesses } from './serving-processes.ts';

const root = resolve(import.meta.dirname, '../..');
const entry = join(root, 'dist/server/entry.mjs');
/** Started by another `npm start` to serve beside it (serving-processes.ts): it serves, and leaves the once-only work to that one. */
const servingOnly = process.argv.includes(SERVING_ONLY);

function newestMtime(path: string): number {
  const s = statSync(path);
  if (!s.isDirectory()) return s.mtimeMs;
  return Math.max(s.mtimeMs, ...readdirSync(path).map((f) => newestMtime(join(path, f))));
}

function ensureBuilt(): void {
  const sources = ['src', 'public', 'astro.config.mjs', 'package.json'].map((p) => join(root, p)).filter(existsSync);
  if (existsSync(entry) && statSync(entry).mtimeMs >= Math.max(...sources.map(newestMtime))) return;
  console.log('Building the site (sources changed since the last build)…');
  execFileSync(process.execPath, [join(root, 'node_modules/astro/bin/astro.mjs'), 'build', '--silent'], {
    cwd: root,
    stdio: 'inherit',
    env: { ...process.env, ASTRO_TELEMETRY_DISABLED: '1' },
  });
}

/** With no users yet, the admin account, with a password printed this once. */
async function createFirstAdmin(db: App['db']): Promise<void> {
  if ((await countUsers(db)) > 0) return;
  const password = randomBytes(12).toString('base64url');
  await createUser(db, { username: 'admin', password, role: 'admin', displayName: 'Administrator' });
  console.log(`\nNo users yet: created the first admin.\n  username: admin\n  password: ${password}\nThis password is shown once. Change it under Account after logging in, or with: npm run user -- passwd admin${siteFlag()}\n`);
}

async function main() {
  const flagProblem = applyConfigFlag(process.argv.slice(2));
  if (flagProblem) {
    console.error(`Switchyard cannot start: ${flagProblem}.`);
    process.exit(1);
  }
  if (process.env.SWITCHYARD_SKIP_BUILD !== '1' && !servingOnly) ensureBuilt();
  const processes = processCount(process.env.SWITCHYARD_PROCESSES);
  if (typeof processes !== 'number') {
    console.error(`Switchyard cannot start: ${processes.problem}.`);
    process.exit(1);
  }
  const settings = readSettings();
  const layout = databaseLayoutProblem(settings);
  if (layout) {
    console.error(`Switchyard cannot start: ${layout}.`);
    process.exit(1);
  }
  try {
    setLogger(createLogger());
  } catch (e) {
    console.error(`Switchyard cannot start: ${(e as Error).message}.`);
    process.exit(1);
  }
  const tokenProblem = metricsTokenProblem(process.env.SWITCHYARD_METRICS_TOKEN);
  if (tokenProblem) {
    console.error(`Switchyard cannot start: ${tokenProblem}.`);
    process.exit(1);
  }
  let app;
  try {
    app = await createApp(settings);
  } catch (e) {
    if (e instanceof ConfigError) {
      console.error(`Switchyard cannot start: ${settings.configPath} is not valid.\n\n${e.message}\n`);
      process.exit(1);
    }
    console.error(`Switchyard cannot start: ${(e as Error).message}`);
    process.exit(1);
  }
  setApp(Promise.resolve(app));
  // Marks this process as serving the database, so a restore refuses to replace it underneath.
  const instance = await startInstance(app.db);
  const host = process.env.HOST || 'localhost';
  const port = Number(process.env.PORT || 4321);
  process.env.ASTRO_NODE_AUTOSTART = 'disabled';
  // The adapter runs as middleware: Astro's handler renders the app's routes, and the
  // static files are served here from memory (static-files.ts), with the security headers too.
  const { handler } = (await import(pathToFileURL(entry).href)) as { handler: RequestListener };
  const files = loadStaticFiles(join(root, 'dist/client'));
  const tls = process.env.SWITCHYARD_TLS_CERT && process.env.SWITCHYARD_TLS_KEY
    ? { cert: readFileSync(process.env.SWITCHYARD_TLS_CERT), key: readFileSync(process.env.SWITCHYARD_TLS_KEY) }
    : undefined;
  const trustProxy = process.env.SWITCHYARD_TRUST_PROXY === '1';
  const listener: RequestListener = (req, res) => {
    for (const [k, v] of Object.entries(SECURITY_HEADERS)) res.setHeader(k, v);
    if (trustProxy) applyTrustedProxy(req, !!tls);
    traced(req, res, () => {
      try {
        decodeURI(req.url ?? '/');
      } catch {
        res.writeHead(400, { 'Content-Type': 'text/plain; charset=utf-8' }).end('Bad request: the address is not valid percent-encoding.');
        return;
      }
      if (!serveStatic(files, req, res)) handler(req, res);
    });
  };
  const server = tls ? createHttpsServer(tls, listener) : createServer(listener);
  const scheme = tls ? 'https' : 'http';
  server.on('error', (e: NodeJS.ErrnoException) => {
    const reason = e.code === 'EADDRINUSE' ? `port ${port} on ${host} is already in use; set PORT to another port` : e.message;
    console.error(`Switchyard cannot start: ${reason}.`);
    void instance.stop().finally(() => process.exit(1));
  });
  const stopSweeper = startSweeper(app);
  const stopRetention = startRetention(app);
  const stopPublisher = startPublisher(app, app.publications, (m) => log().info(m));
  const stopDeliveries = startDeliveries(app, (m) => log().info(m));
  const stopScheduler = app.settings.scheduler ? startScheduler(app) : () => {};
  if (!app.settings.scheduler) console.log('Schedules are off in this process (SWITCHYARD_SCHEDULER=0): it starts no scheduled runs.');
  let localRunner: LocalRunner | undefined;
  let others: ServingProcesses | undefined;
  server.listen({ port, host, reusePort: processes > 1 || servingOnly }, async () => {
    if (servingOnly) {
      log().info('serving beside the first process');
      return;
    }
    // Only now: a start that fails (port in use, say) must not use up the one-time password.
    await createFirstAdmin(app.db).catch((e) => console.error(`Could not create the first admin (${(e as Error).message}); create one with: npm run user -- add admin --role admin${siteFlag()}`));
    const shown = host.includes(':') ? `[${host}]` : host;
    const many = processes > 1 ? ` with ${processes} processes` : '';
    console.log(`Switchyard is serving ${settings.configPath} on ${scheme}://${shown}:${port}${many} (data in ${settings.dataDir}).`);
    if (processes > 1) others = startServingProcesses(processes, process.argv[1]!, (m) => log().warn(m));
    if (process.env.SWITCHYARD_LOCAL_RUNNER !== '0') localRunner = await startLocalRunner(app, { host, port, root: runnerRoot(), scheme, caFile: process.env.SWITCHYARD_TLS_CERT });
  });
  let stopping = false;
  const stop = async () => {
    if (stopping) return; // a signal and the parent's end may both ask
    stopping = true;
    // The other serving processes are told at once (so their end is not taken for a crash); this one serves on
    // while the local runner stops its scripts and reports them.
    const othersGone = others?.stop();
    await localRunner?.stop();
    await othersGone;
    stopScheduler();
    stopSweeper();
    stopRetention();
    stopPublisher();
    stopDeliveries();
    await instance.stop();
    server.close(() => {
      // Entries still waiting for their batch are written before the database closes.
      void app.auditLater.flush().finally(() => {
        app.db.close();
        process.exit(0);
      });
    });
    server.closeAllConnections();
    setTimeout(() => process.exit(0), 5000).unref();
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  stopWhenParentEnds((why) => {
    console.log(`Stopping: ${why}.`);
    void stop();
  });
}

await main();
