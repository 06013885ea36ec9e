/**
 * Secrets and the one place they could slip into a snapshot: a run's report,
 * which is whatever the script wrote (a script that echoes its token puts it
 * there). Values, history and export never hold a secret (the services mask
 * them); a report is masked here by the secret values ever saved.
 */
import { SECRET_SET } from '../../core/values.ts';
import type { Executor } from '../db.ts';

/**
 * Shorter values are not masked: replacing every "abc" in a report would
 * garble it and hide nothing a guess would not find.
 */
export const MASKED_MIN_LENGTH = 4;

/** Every secret value saved on any page, longest first (so a value inside another is not left half-masked). */
export async function savedSecrets(db: Executor): Promise<string[]> {
  const { rows } = await db.execute({ sql: 'SELECT DISTINCT value FROM config_history WHERE secret = 1 AND length(value) >= ?', args: [MASKED_MIN_LENGTH] });
  return rows.map((r) => String(r.value)).sort((a, b) => b.length - a.length);
}

/** `text` with each of `secrets` replaced by what a set secret reads as everywhere else. */
export function maskKnownSecrets(text: string, secrets: readonly string[]): string {
  let out = text;
  for (const s of secrets) out = out.split(s).join(SECRET_SET);
  return out;
}
