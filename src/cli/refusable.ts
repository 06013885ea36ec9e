/**
 * How the backup and restore commands end: exit code 0, or 1 with a one-line
 * reason, for a refusal and a failure alike, so a script or a button run can
 * tell them apart from success by the code alone.
 */
import { Refused } from '../server/refused.ts';

/** A mistake in the command line: the reason, then the usage. */
export class UsageError extends Error {}

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
