/** Which parameters differ between two versions of a page's values. */
import type { PageConfig, Value, Values } from './config/schema.ts';
import { isSet, sameValue, SECRET_SET } from './values.ts';

export interface ValueChange {
  name: string;
  label: string;
  before: Value | undefined;
  after: Value | undefined;
  /** A secret: before and after say only whether it is set (SECRET_SET or null), never its value. */
  secret?: true;
}

/** Changes from `before` (undefined: nothing saved yet) to `after`, in the page's parameter order. */
export function diffValues(page: PageConfig, before: Values | undefined, after: Values): ValueChange[] {
  const changes: ValueChange[] = [];
  const known = new Set<string>();
  for (const p of page.parameters) {
    known.add(p.name);
    const a = before?.[p.name];
    const b = after[p.name];
    if (sameValue(a, b)) continue;
    const label = p.label ?? p.name;
    if (p.type === 'secret') changes.push({ name: p.name, label, before: masked(a), after: masked(b), secret: true });
    else changes.push({ name: p.name, label, before: a, after: b });
  }
  // Parameters removed from the config since still show up in old history.
  for (const name of Object.keys(after)) {
    if (!known.has(name) && !sameValue(before?.[name], after[name])) changes.push({ name, label: name, before: before?.[name], after: after[name] });
  }
  return changes;
}

function masked(v: Value | undefined): Value | undefined {
  return v === undefined ? undefined : isSet(v) ? SECRET_SET : null;
}

/** What happened to a secret, in words that never hold its value. */
export function secretChange(c: ValueChange): string {
  return c.before == null ? 'set' : c.after == null ? 'cleared' : 'changed';
}
