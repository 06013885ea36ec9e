/**
 * `npm run retention -- [--dry-run]`: the retention sweep, now. With
 * --dry-run it only counts what the rules in config.yaml would remove. It
 * uses the same environment as the server (SWITCHYARD_CONFIG,
 * SWITCHYARD_DATA_DIR, SWITCHYARD_DB_URL) and may run while the server does:
 * it deletes in the same short transactions as the daily sweep.
 */
import { createApp } from '../server/app.ts';
import { ConfigError } from '../server/config-store.ts';
import { retentionConfigured, sweepRetention } from '../server/retention.ts';
import { describeRemoved } from '../server/retention-schedule.ts';
import { readSettings } from '../server/settings.ts';
import { parseCommand, runCommand, UsageError } from './command.ts';

const USAGE = `Usage:
  npm run retention -- --dry-run   count what the retention rules of config.yaml would remove
  npm run retention                remove it now (recorded in the audit log)`;

async function main(): Promise<number> {
  const args = parseCommand(USAGE, { 'dry-run': { type: 'boolean' } });
  if (!args) return 0;
  if (args.positionals.length) throw new UsageError(`unexpected "${args.positionals[0]}": the command takes only --dry-run (see npm run retention -- --help)`);
  const { values } = args;
  const settings = readSettings();
  let app;
  try {
    app = await createApp(settings);
  } catch (e) {
    if (e instanceof ConfigError) throw new UsageError(`${settings.configPath} is not valid:\n${e.message}`);
    throw e;
  }
  try {
    if (!retentionConfigured((await app.config.current()).config)) {
      console.log(`No retention rules in ${settings.configPath}: nothing is removed. See "Retention" in the README.`);
      return 0;
    }
    const dryRun = values['dry-run'] ?? false;
    const by = `${process.env.USER || process.env.LOGNAME || 'someone'} (npm run retention)`;
    const result = await sweepRetention(app, Date.now(), { dryRun, trigger: by });
    const what = describeRemoved(result.removed);
    console.log(dryRun ? `Would remove: ${what}.` : `Removed: ${what} (in ${result.transactions} transactions, the longest ${result.longestTransactionMs.toFixed(0)} ms).`);
    return 0;
  } finally {
    app.db.close();
  }
}

await runCommand(main, (e) => e instanceof UsageError);
