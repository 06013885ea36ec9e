/**
 * `npm run snapshot -- <dir>`: the site as static files in <dir> (the pages
 * with their values, history, exports and latest reports), read from the
 * database the server uses (same environment) without writing to it, so it
 * is safe while the app serves. Exit code 0, or 1 with the reason.
 */
import { DEFAULT_LANGUAGE, isLanguage, LANGUAGES } from '../core/languages.ts';
import { readSettings } from '../server/settings.ts';
import { writeSnapshot, type Audience } from '../server/snapshot/index.ts';
import { parseCommand, runRefusable, UsageError } from './command.ts';

const USAGE = `Usage: npm run snapshot -- <dir> [--include-restricted | --public-only] [--language ${LANGUAGES.join('|')}]
  By default the pages any logged-in viewer may see; --include-restricted adds the pages narrowed to higher roles,
  --public-only keeps only the pages that need no login. <dir> must be new, empty, or an earlier snapshot (replaced).`;

await runRefusable(USAGE, async () => {
  const args = parseCommand(USAGE, { 'include-restricted': { type: 'boolean' }, 'public-only': { type: 'boolean' }, language: { type: 'string' } });
  if (!args) return 0;
  const { positionals, values } = args;
  if (positionals.length !== 1) throw new UsageError('name one folder to write the snapshot to');
  if (values['include-restricted'] && values['public-only']) throw new UsageError('--include-restricted and --public-only exclude each other');
  const lang = values.language ?? DEFAULT_LANGUAGE;
  if (!isLanguage(lang)) throw new UsageError(`--language must be one of ${LANGUAGES.join(', ')}, got "${lang}"`);
  const audience: Audience = values['include-restricted'] ? 'all' : values['public-only'] ? 'public' : 'viewer';
  const started = Date.now();
  const r = await writeSnapshot(readSettings(), positionals[0]!, { audience, lang });
  const leftOut = r.leftOut > 0 ? `; ${r.leftOut} page${r.leftOut === 1 ? '' : 's'} left out (see --help)` : '';
  console.log(`Wrote a snapshot of ${r.pages} page${r.pages === 1 ? '' : 's'} (${r.files} files) to ${r.target}${leftOut} in ${((Date.now() - started) / 1000).toFixed(2)} s.`);
  return 0;
});
