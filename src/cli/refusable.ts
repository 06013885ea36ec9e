/** How the backup and restore commands end: 0, or 1 with a one-line reason, for a refusal and a failure alike. */
import { DatabaseUnavailable } from '../server/db.ts';
import { Refused } from '../server/refused.ts';

export async function runRefusable(usage: string, main: () => Promise<number>): Promise<void> {
  try {
    process.exitCode = await main();
  } catch (e) {
    const known = e instanceof Refused || e instanceof DatabaseUnavailable || e instanceof TypeError || (e as { code?: string }).code !== undefined;
    // Anything unforeseen keeps its stack on a second line, for a bug report; the first line still says what failed.
    console.error(`Error: ${(e as Error).message.split('\n')[0]}`);
    if (e instanceof TypeError || (e as { code?: string }).code?.startsWith('ERR_PARSE_ARGS')) console.error(usage);
    else if (!known) console.error((e as Error).stack);
    process.exitCode = 1;
  }
}
