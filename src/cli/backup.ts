/**
 * `npm run backup -- [file]`: a consistent snapshot of the database the
 * server uses (same environment), safe while the app serves, with its
 * manifest beside it. Without a file: <data dir>/backups/switchyard-<UTC stamp>.db;
 * a name ending in .gz is compressed. Exit code 0, or 1 with the reason.
 */
import { backupDatabase } from '../server/backup.ts';
import { readSettings } from '../server/settings.ts';
import { parseCommand, runRefusable, UsageError } from './command.ts';

const USAGE = 'Usage: npm run backup -- [file]   (default <data dir>/backups/switchyard-<UTC stamp>.db; .gz compresses)';

await runRefusable(USAGE, async () => {
  const args = parseCommand(USAGE, {});
  if (!args) return 0;
  const { positionals } = args;
  if (positionals.length > 1) throw new UsageError('one file at most');
  const started = Date.now();
  const r = await backupDatabase(readSettings(), { target: positionals[0] });
  const rows = Object.values(r.manifest.tables).reduce((a, b) => a + b, 0);
  console.log(`Backed up ${r.source} to ${r.file} (${r.manifest.bytes} bytes, schema ${r.manifest.schema_version}, ${rows} rows in ${Object.keys(r.manifest.tables).length} tables) in ${((Date.now() - started) / 1000).toFixed(2)} s.`);
  console.log(`Manifest: ${r.manifestFile} (sha256 ${r.manifest.sha256})`);
  return 0;
});
