/**
 * `npm run runner-token -- <command>`: runner tokens.
 *   create <name>   make a runner and print its token (shown once)
 *   rotate <name>   give a runner a new token; the old one stops working
 *   revoke <name>   stop a runner's token from working
 *   list            runners, when they were last seen and from where
 */
import { createRunnerToken, listRunners, revokeRunner, RunnerError } from '../server/runners.ts';
import { runCommand, useConfigFlag, withDatabase } from './command.ts';

const USAGE = `Usage:
  npm run runner-token -- create <name>
  npm run runner-token -- rotate <name>
  npm run runner-token -- revoke <name>
  npm run runner-token -- list
Each takes --config <file> for a site in a folder of its own (its data in <folder>/app_data).`;

/** Named on the runs a revoke or rotate ends. */
const BY = `${process.env.USER || process.env.LOGNAME || 'someone'} (npm run runner-token)`;

async function main(argv: string[]): Promise<number> {
  useConfigFlag(argv);
  // The flag and its value are not the command's words.
  const [command, name] = argv.filter((a, i) => !a.startsWith('--config') && argv[i - 1] !== '--config');
  if (!command || command === '--help' || command === '-h') {
    console.log(USAGE);
    return command ? 0 : 2;
  }
  return withDatabase(async (db) => {
    if (command === 'list') {
      const runners = await listRunners(db);
      if (runners.length === 0) console.log('No runners.');
      for (const r of runners) {
        console.log([r.name, r.revokedAt ? 'revoked' : 'active', r.lastSeenAt ? `last seen ${r.lastSeenAt}` : 'never seen', r.hostname].filter(Boolean).join('\t'));
      }
      return 0;
    }
    if (!name) throw new RunnerError(`${command} needs a runner name.\n${USAGE}`);
    if (command === 'create' || command === 'rotate') {
      const token = await createRunnerToken(db, name, { replace: command === 'rotate', by: BY });
      console.log(`Token for runner "${name}" (shown once; keep it secret):\n${token}\n\nStart the runner with:\n  SWITCHYARD_URL=<app url> SWITCHYARD_RUNNER_TOKEN=${token} npm run runner`);
      return 0;
    }
    if (command === 'revoke') {
      await revokeRunner(db, name, { by: BY });
      console.log(`Runner "${name}" revoked; its token no longer works.`);
      return 0;
    }
    throw new RunnerError(`Unknown command "${command}".\n${USAGE}`);
  });
}

await runCommand(() => main(process.argv.slice(2)), (e) => e instanceof RunnerError);
