/** What the admin commands share: the database they work on, and how they end. */
import { migrate, openDatabase, type Database } from '../server/db.ts';
import { readSettings } from '../server/settings.ts';

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
    const usage = isUsageError(e) || (e as { code?: string }).code?.startsWith('ERR_PARSE_ARGS');
    if (!usage) throw e;
    console.error(`Error: ${(e as Error).message}`);
    process.exitCode = 2;
  }
}
