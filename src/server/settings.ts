/** Process settings from the environment, read once at start. */
import { join, resolve } from 'node:path';
import { fileUrl } from './db.ts';

export interface Settings {
  configPath: string;
  dataDir: string;
  dbUrl: string;
  dbAuthToken?: string;
}

export function readSettings(env: NodeJS.ProcessEnv = process.env): Settings {
  const configPath = resolve(env.SWITCHYARD_CONFIG || 'config.yaml');
  const dataDir = resolve(env.SWITCHYARD_DATA_DIR || 'app_data');
  const dbUrl = env.SWITCHYARD_DB_URL || fileUrl(join(dataDir, 'switchyard.db'));
  return { configPath, dataDir, dbUrl, dbAuthToken: env.SWITCHYARD_DB_AUTH_TOKEN || undefined };
}
