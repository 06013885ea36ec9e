/**
 * `npm run restore -- <file>`: puts a backup made by `npm run backup` in
 * place of the database the server uses (same environment). Refuses a file
 * whose checksum does not match its manifest, a newer schema, a database that
 * is not a local file, and a database an app process is serving. The current
 * database is kept aside as <db>.before-restore-<UTC stamp>; the restored one
 * is migrated, so the app starts on it. Exit code 0, or 1 with the reason.
 */
import { restoreDatabase } from '../server/backup.ts';
import { readSettings } from '../server/settings.ts';
import { parseCommand, runRefusable, UsageError } from './command.ts';

const USAGE = 'Usage: npm run restore -- <file>   (a backup written by npm run backup, with its .manifest.json beside it)';

await runRefusable(USAGE, async () => {
  const args = parseCommand(USAGE, {});
  if (!args) return 0;
  const { positionals } = args;
  if (positionals.length !== 1) throw new UsageError('name the backup to restore');
  const r = await restoreDatabase(readSettings(), positionals[0]!);
  const m = r.manifest;
  console.log(`Restored ${positionals[0]} (made ${m.created} by Switchyard ${m.switchyard_version}, schema ${m.schema_version}) into ${r.database}.`);
  console.log(r.aside ? `The database it replaced was moved to ${r.aside}` : 'There was no database before.');
  console.log(r.migrated.length ? `Migrations applied: ${r.migrated.join(', ')}.` : 'No migrations were needed.');
  for (const w of r.warnings) console.log(`Warning: ${w}.`);
  console.log('Start the app again to serve the restored data.');
  return 0;
});
