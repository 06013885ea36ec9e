/** Which parameters differ between two versions of a page's values. */
import type { PageConfig, Value, Values } from './config/schema.ts';

export interface ValueChange {
  name: string;
  label: string;
  before: Value | undefined;
  after: Value | undefined;
}

/** Changes from `before` (undefined: nothing saved yet) to `after`, in the page's parameter order. */
export function diffValues(page: PageConfig, before: Values | undefined, after: Values): ValueChange[] {
  const changes: ValueChange[] = [];
  const known = new Set<string>();
  for (const p of page.parameters) {
    known.add(p.name);
    const a = before?.[p.name];
    const b = after[p.name];
    if (a !== b) changes.push({ name: p.name, label: p.label ?? p.name, before: a, after: b });
  }
  // Parameters removed from the config since still show up in old history.
  for (const name of Object.keys(after)) {
    if (!known.has(name) && before?.[name] !== after[name]) changes.push({ name, label: name, before: before?.[name], after: after[name] });
  }
  return changes;
}
