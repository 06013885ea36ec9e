/**
 * Why a save was made, as the person wrote it: optional unless the page says
 * `require_reason: true`. Short on purpose: it is the first line of the Git
 * commit's body and a line in the history, not a document.
 */
import { ENGLISH, type Translate } from './i18n.ts';

/** The form field; a leading underscore, like `_revision`, so no parameter name can take it. */
export const REASON_FIELD = '_reason';
export const REASON_MAX_LENGTH = 500;
export const REASON_MAX_LINES = 5;

export type ReasonCheck = { reason?: string } | { error: string };

// In the reader's language on pages; the JSON API keeps English.

/**
 * The reason in `input`, trimmed, with line breaks as `\n`; none for empty
 * input, unless one is required. Non-strings (a JSON number, say) are refused.
 */
export function checkReason(input: unknown, required: boolean, t: Translate = ENGLISH): ReasonCheck {
  if (input !== undefined && input !== null && typeof input !== 'string') return { error: t('page.reason.notText') };
  const text = (input ?? '').replace(/\r\n?/g, '\n').trim();
  if (text === '') return required ? { error: t('page.reason.required') } : {};
  // Control characters (other than the line break) would hide text in a terminal or a commit.
  if (/[\p{Cc}\u2028\u2029\u202A-\u202E\u2066-\u2069]/u.test(text.replace(/\n/g, ''))) return { error: t('page.reason.control') };
  if ([...text].length > REASON_MAX_LENGTH) return { error: t('page.reason.maxLength', { max: REASON_MAX_LENGTH }) };
  const lines = text.split('\n').map((l) => l.trimEnd());
  if (lines.length > REASON_MAX_LINES) return { error: t('page.reason.maxLines', { max: REASON_MAX_LINES }) };
  return { reason: lines.join('\n') };
}
