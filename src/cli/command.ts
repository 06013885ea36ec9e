/** What the admin commands share: the database they work on, and how they end. */
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { migrate, openDatabase, type Database } from '../server/db.ts';
import { Refused } from '../server/refused.ts';
import { readSettings } from '../server/settings.ts';
import { applyConfigFlag } from './site-flag.ts';

/** Opens the database the server would use (same environment), migrated, and closes it after. */
export async function withDatabase<T>(work: (db: Database) => Promise<T>): Promise<T> {
  const settings = readSettings();
  const db = await openDatabase(settings.dbUrl, settings.dbAuthToken, settings.dbBusyMs);
  try {
    await migrate(db);
    return await work(db);
  } finally {
    db.close();
  }
}

/**
 * Runs a command's main function: its exit code on success; for a mistake
 * of the person typing (`isUsageError`), the message and exit code 2.
 * Anything else is a bug and keeps its stack trace.
 */
export async function runCommand(main: () => Promise<number>, isUsageError: (e: unknown) => boolean): Promise<void> {
  try {
    process.exitCode = await main();
  } catch (e) {
    const usage = isUsageError(e) || e instanceof UsageError || (e as { code?: string }).code?.startsWith('ERR_PARSE_ARGS');
    if (!usage) throw e;
    console.error(`Error: ${(e as Error).message}`);
    process.exitCode = 2;
  }
}

/** A mistake in the command line: the reason, then the usage. */
export class UsageError extends Error {}

/** `--config <file>` (site-flag.ts): the site in that file's folder, as `npm start -- --config` serves it. */
export function useConfigFlag(argv: readonly string[]): void {
  const problem = applyConfigFlag(argv);
  if (problem) throw new UsageError(problem);
}

/** The command line by `options`, or undefined once `--help` has printed the usage. */
export function parseCommand<O extends NonNullable<ParseArgsConfig['options']>>(usage: string, options: O) {
  const parsed = parseArgs({ allowPositionals: true, options: { ...options, config: { type: 'string' }, help: { type: 'boolean', short: 'h' } } });
  useConfigFlag(process.argv.slice(2));
  if ((parsed.values as { help?: boolean }).help) {
    console.log(usage);
    return undefined;
  }
  return parsed;
}

/**
 * How the backup and restore commands end: exit code 0, or 1 with a one-line
 * reason, for a refusal and a failure alike, so a script or a button run can
 * tell them apart from success by the code alone.
 */
export async function runRefusable(usage: string, main: () => Promise<number>): Promise<void> {
  try {
    process.exitCode = await main();
  } catch (e) {
    const err = e as Error & { code?: string };
    console.error(`Error: ${err.message.split('\n')[0]}`);
    if (e instanceof UsageError || err.code?.startsWith('ERR_PARSE_ARGS')) console.error(usage);
    // A refusal, a database fault or a system error (ENOSPC, EACCES) is said in its line; anything else is a bug and keeps its stack.
    else if (!(e instanceof Refused) && err.name !== 'DatabaseUnavailable' && !err.code) console.error(err.stack);
    process.exitCode = 1;
  }
}
