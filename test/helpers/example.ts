/**
 * One of the example sites (examples/<name>/) on the built server, as its
 * README starts it, but in a temporary copy: its config, scripts and bundled
 * data copied into a fresh folder with its own data directory, and the local
 * runner of `npm start` working there, so a test never writes into the
 * repository and two tests never share a file.
 */
import { cpSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ROOT, startServer, type TestServer, type TestUser } from './server.ts';

export interface ExampleServer extends TestServer {
  /** The example's folder in the copy: its scripts' root (where scripts/ is). */
  root: string;
}

export interface ExampleOptions {
  users?: TestUser[];
  env?: Record<string, string>;
}

export async function startExample(name: string, opts: ExampleOptions = {}): Promise<ExampleServer> {
  const source = join(ROOT, 'examples', name);
  const staging = mkdtempSync(join(tmpdir(), `switchyard-example-${name}-`));
  // Everything but what a run made (app_data/ is the data folder when the README's command runs it).
  cpSync(source, staging, { recursive: true, filter: (p) => !p.startsWith(join(source, 'app_data')) });
  const server = await startServer({
    config: readFileSync(join(staging, 'config.yaml'), 'utf8'),
    users: opts.users,
    // The local runner of `npm start` runs the example's scripts from the server's folder.
    cwdInDir: true,
    env: { SWITCHYARD_LOCAL_RUNNER: '1', ...opts.env },
  });
  // The server's folder gets the example's files (scripts keep their modes), beside its config.yaml and data/.
  cpSync(staging, server.dir, { recursive: true, filter: (p) => p !== join(staging, 'config.yaml') });
  rmSync(staging, { recursive: true, force: true });
  return { ...server, root: server.dir };
}
