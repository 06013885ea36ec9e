/** The commit message for a save: a subject people can scan in `git log`, every change in the body. */
import { secretChange, type ValueChange } from './diff.ts';
import { displayValue } from './values.ts';

const SUBJECT_MAX = 72;
const TRAILER = 'Switchyard-Save';

function change(c: ValueChange): string {
  if (c.secret) return `${c.name} ${secretChange(c)}`;
  return `${c.name} ${displayValue(c.before)} → ${displayValue(c.after)}`;
}

/** `reason`, when the save has one, is the body's first line (its line breaks as spaces). */
export function commitMessage(slug: string, changes: ValueChange[], saveId: number, author: string, reason?: string): string {
  const one = changes.length === 1 ? `${slug}: ${change(changes[0]!)}` : '';
  const names = `${slug}: ${changes.map((c) => c.name).join(', ')}`;
  let subject =
    changes.length === 0 ? `${slug}: saved without changes` : one && one.length <= SUBJECT_MAX ? one : names.length <= SUBJECT_MAX ? names : `${slug}: ${changes.length} values changed`;
  subject = subject.replace(/[\r\n]+/g, ' ');
  if (subject.length > SUBJECT_MAX) subject = `${subject.slice(0, SUBJECT_MAX - 1)}…`;
  const body = changes.map((c) => `- ${change(c)}`.replace(/[\r\n]+/g, ' ')).join('\n');
  // A reason that reads like the trailer cannot take its place: saveOf reads the last one, which is always ours.
  const why = reason ? `${reason.replace(/\s*[\r\n]+\s*/g, ' ')}\n\n` : '';
  return `${subject}\n\n${why}${body ? `${body}\n\n` : ''}Saved by ${author} in Switchyard.\n\n${TRAILER}: ${saveId}\n`;
}

/**
 * The save a commit message says it publishes (its last `Switchyard-Save:`
 * trailer), or undefined. Body lines never start with it: every change line
 * starts with "- " and has its line breaks removed.
 */
export function saveOf(message: string): number | undefined {
  const found = [...message.matchAll(new RegExp(`^${TRAILER}: (\\d+)[ \\t]*$`, 'gm'))].pop();
  return found ? Number(found[1]) : undefined;
}
