/**
 * The keys a strict object of the config accepts, read from the schema itself
 * (so an "unknown key" hint can never list a key the schema has dropped, or
 * miss one it has gained). Walks zod's schema description along a path of
 * the config; where a union is decided by a discriminator (a parameter's
 * `type`), the option the data names is taken.
 */
import type * as z from 'zod';

type Def = { type: string; innerType?: Schema; in?: Schema; element?: Schema; shape?: Record<string, Schema>; options?: Schema[]; discriminator?: string; values?: unknown[] };
type Schema = { _zod: { def: Def } };

const WRAPPERS = new Set(['optional', 'default', 'prefault', 'nullable', 'readonly', 'catch']);

/** The schema inside optional/default/pipe wrappers. */
function unwrap(s: Schema): Schema {
  for (;;) {
    const def = s._zod.def;
    if (WRAPPERS.has(def.type) && def.innerType) s = def.innerType;
    else if (def.type === 'pipe' && def.in) s = def.in;
    else return s;
  }
}

/** The option of a discriminated union that `value` picks, or undefined when it names none. */
function optionFor(union: Schema, value: unknown): Schema | undefined {
  const { options = [], discriminator } = union._zod.def;
  if (!value || typeof value !== 'object' || Array.isArray(value)) return undefined;
  // A union of a scalar and a mapping (a schedule): the mapping is the option a mapping takes.
  if (!discriminator) return options.map(unwrap).find((o) => o._zod.def.shape);
  const tag = (value as Record<string, unknown>)[discriminator];
  return options.map(unwrap).find((o) => unwrap(o._zod.def.shape?.[discriminator] ?? o)._zod.def.values?.includes(tag));
}

/** Keys every option of a union shares: what is allowed whatever the discriminator turns out to be. */
function commonKeys(union: Schema): string[] {
  const lists = (union._zod.def.options ?? []).map((o) => Object.keys(unwrap(o)._zod.def.shape ?? {}));
  return lists[0]?.filter((k) => lists.every((l) => l.includes(k))) ?? [];
}

export function allowedKeys(schema: z.ZodType, path: readonly PropertyKey[], data: unknown): string[] | undefined {
  let s = unwrap(schema as unknown as Schema);
  let here = data;
  for (const key of path) {
    if (s._zod.def.type === 'union') s = optionFor(s, here) ?? s;
    const def = s._zod.def;
    const next = typeof key === 'number' ? (def.type === 'array' ? def.element : undefined) : def.shape?.[String(key)];
    if (!next) return undefined;
    s = unwrap(next);
    here = here && typeof here === 'object' ? (here as Record<PropertyKey, unknown>)[key] : undefined;
  }
  if (s._zod.def.type === 'union') {
    const option = optionFor(s, here);
    return option ? Object.keys(option._zod.def.shape ?? {}) : commonKeys(s);
  }
  return s._zod.def.shape ? Object.keys(s._zod.def.shape) : undefined;
}
