/**
 * Button outputs are written below app_data/status/ and app_data/reports/
 * (src/protocol OUTPUT_FOLDERS). A database placed there could be
 * overwritten or deleted by a run, so the server refuses to start on it.
 */
import { relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { OUTPUT_FOLDERS } from '../protocol/index.ts';
import type { Settings } from './settings.ts';

export function databaseLayoutProblem(settings: Pick<Settings, 'dbUrl' | 'dataDir'>): string | undefined {
  if (!settings.dbUrl.startsWith('file:')) return undefined;
  const file = settings.dbUrl.startsWith('file://') ? fileURLToPath(settings.dbUrl) : resolve(settings.dbUrl.slice('file:'.length).split('?')[0]!);
  for (const folder of Object.values(OUTPUT_FOLDERS)) {
    const rel = relative(resolve(settings.dataDir, folder), file);
    if (rel && !rel.startsWith('..') && !rel.startsWith(sep)) {
      return `the database ${file} lies in ${resolve(settings.dataDir, folder)}, where button runs write their status files and reports; move it (SWITCHYARD_DB_URL) elsewhere`;
    }
  }
  return undefined;
}
