/** The review page (a button's `confirm:` without script) carries the inputs it asks about as hidden fields. */
import type { Button } from '../core/config/schema.ts';

/**
 * Each input as the form sent it, as name and value pairs to post again: a
 * multiselect one pair per option (its text is one per line, and a form
 * would turn a line break into CR LF), a ticked box as `on`, an unticked
 * one left out as the dialog leaves it out.
 */
export function reviewFields(button: Pick<Button, 'inputs'>, raw: Record<string, string>): [string, string][] {
  return button.inputs.flatMap((p): [string, string][] => {
    // A file cannot be a hidden field: the review page asks for it again.
    if (p.type === 'file') return [];
    const text = raw[p.name] ?? '';
    if (p.type === 'multiselect') return text.split(/\r?\n/).filter((o) => o !== '').map((o) => [p.name, o]);
    if (p.type === 'boolean') return text !== '' && text !== 'off' && text !== 'false' ? [[p.name, 'on']] : [];
    return [[p.name, text]];
  });
}
