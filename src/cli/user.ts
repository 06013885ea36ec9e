/**
 * `npm run user -- <command>`: manage accounts from the host's shell.
 *   add <name> --role <viewer|operator|editor|admin> [--password-stdin] [--email E] [--display-name N]
 *   passwd <name> [--password-stdin]
 *   list
 *   remove <name>
 * Without --password-stdin the password is asked for on the terminal, twice, without echo.
 */
import { createInterface } from 'node:readline';
import { parseArgs } from 'node:util';
import { createUser, listUsers, removeUser, resetPassword, UserError } from '../server/users.ts';
import { ROLES } from '../server/auth/roles.ts';
import { runCommand, useConfigFlag, withDatabase } from './command.ts';

const USAGE = `Usage:
  npm run user -- add <name> --role <${ROLES.join('|')}> [--password-stdin] [--email E] [--display-name N]
  npm run user -- passwd <name> [--password-stdin]
  npm run user -- list
  npm run user -- remove <name>
Each takes --config <file> for a site in a folder of its own (its data in <folder>/app_data).`;

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of process.stdin) chunks.push(c as Buffer);
  // One trailing newline is the end of the line, not part of the password.
  return Buffer.concat(chunks).toString('utf8').replace(/\r?\n$/, '');
}

function ask(question: string): Promise<string> {
  return new Promise((resolve) => {
    const rl = createInterface({ input: process.stdin, output: process.stdout, terminal: true });
    const out = rl as unknown as { _writeToOutput: (s: string) => void };
    rl.question(question, (answer) => {
      rl.close();
      process.stdout.write('\n');
      resolve(answer);
    });
    out._writeToOutput = () => {}; // no echo
    process.stdout.write(question);
  });
}

async function readPassword(fromStdin: boolean): Promise<string> {
  if (fromStdin || !process.stdin.isTTY) return readStdin();
  const first = await ask('Password: ');
  const second = await ask('Repeat password: ');
  if (first !== second) throw new UserError('The two passwords differ.');
  return first;
}

async function main(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      role: { type: 'string' },
      'password-stdin': { type: 'boolean', default: false },
      email: { type: 'string' },
      'display-name': { type: 'string' },
      config: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  useConfigFlag(argv);
  const [command, name] = positionals;
  if (values.help || !command) {
    console.log(USAGE);
    return command ? 0 : 2;
  }
  return withDatabase(async (db) => {
    switch (command) {
      case 'add': {
        if (!name || !values.role) throw new UserError(`add needs a name and --role.\n${USAGE}`);
        const password = await readPassword(values['password-stdin']!);
        const user = await createUser(db, { username: name, password, role: values.role, email: values.email, displayName: values['display-name'] });
        console.log(`Created ${user.role} "${user.username}".`);
        return 0;
      }
      case 'passwd': {
        if (!name) throw new UserError(`passwd needs a name.\n${USAGE}`);
        const { tokens } = await resetPassword(db, name, await readPassword(values['password-stdin']!));
        console.log(`Password of "${name}" changed; their sessions were ended${tokens ? ` and their ${tokens === 1 ? 'API token was' : `${tokens} API tokens were`} revoked` : ''}.`);
        return 0;
      }
      case 'list': {
        const users = await listUsers(db);
        if (users.length === 0) console.log('No users.');
        for (const u of users) console.log(`${u.username}\t${u.role}${u.disabled ? '\tdisabled' : ''}\t${u.email}`);
        return 0;
      }
      case 'remove': {
        if (!name) throw new UserError(`remove needs a name.\n${USAGE}`);
        await removeUser(db, name);
        console.log(`Removed "${name}".`);
        return 0;
      }
      default:
        throw new UserError(`Unknown command "${command}".\n${USAGE}`);
    }
  });
}

await runCommand(() => main(process.argv.slice(2)), (e) => e instanceof UserError);
