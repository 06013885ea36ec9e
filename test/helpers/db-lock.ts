/**
 * Another process holding a database's write lock: a small node script that
 * opens the file, begins an immediate transaction and keeps it until told.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { ROOT, stopProcess } from './server.ts';

const SCRIPT = `
import { createClient } from '@libsql/client';
const client = createClient({ url: process.argv[1] });
const tx = await client.transaction('write');
await tx.execute("CREATE TABLE IF NOT EXISTS lock_probe (x)");
await tx.execute("INSERT INTO lock_probe VALUES (1)");
console.log('locked');
process.stdin.once('data', async () => {
  await tx.rollback();
  client.close();
  console.log('released');
  process.exit(0);
});`;

export interface WriteLock {
  /** Rolls the transaction back, ending the lock; resolves once the process has exited. */
  release: () => Promise<void>;
  released: () => boolean;
}

/** Resolves once the other process holds the lock. */
export async function holdWriteLock(dbPath: string): Promise<WriteLock> {
  const child: ChildProcess = spawn(process.execPath, ['--input-type=module', '-e', SCRIPT, `file:${dbPath}`], { cwd: ROOT, stdio: ['pipe', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stderr!.on('data', (d) => (err += d));
  await new Promise<void>((ok, fail) => {
    child.stdout!.on('data', (d) => {
      out += d;
      if (out.includes('locked')) ok();
    });
    child.once('exit', (code) => fail(new Error(`lock holder exited with ${code}: ${err}`)));
  });
  let done = false;
  return {
    released: () => done,
    async release() {
      if (done) return;
      const exited = new Promise((r) => child.once('exit', r));
      child.stdin!.end('go\n');
      await Promise.race([exited, new Promise((r) => setTimeout(r, 5000))]);
      await stopProcess(child);
      done = true;
    },
  };
}
