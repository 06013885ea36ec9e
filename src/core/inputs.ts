/**
 * A button's inputs: asked when it is pressed, checked by the same rules as
 * the page's parameters (fields.ts for form text, import.ts for typed JSON
 * values), so a new parameter type is an input type too.
 */
import type { Button, Input, Values } from './config/schema.ts';
import { parseField, type FieldResult, type FieldSource } from './fields.ts';
import type { Translate } from './i18n.ts';
import { checkValue } from './import.ts';
import { checkUpload, fileFromJson, type FileCheck, type UploadedFile } from './files.ts';

export interface InputsResult {
  values: Values;
  /** Reason per input name; empty when every input is fine. */
  errors: Record<string, string>;
  /** What was sent, to show the form again as the person left it. */
  raw: Record<string, string>;
  /** The bytes of each file given with this request, by input name (its value is the file's record). */
  files?: Record<string, Uint8Array>;
}

/** Reads one file a form sent; undefined when it sent none under that name. */
export type FileSource = (name: string) => UploadedFile | undefined;

/** A file input's check, put in the result: its record as the value, its bytes beside. */
function takeFile(result: InputsResult, name: string, c: FileCheck): void {
  if (!c.ok) {
    result.errors[name] = c.error;
    return;
  }
  result.values[name] = c.value;
  if (c.bytes) (result.files ??= {})[name] = c.bytes;
}

/** The value an input takes when nobody gave one: its default, else what an empty field means. */
function defaultOf(p: Input, t?: Translate): { value: Values[string] } | { problem: string } {
  if ('default' in p && p.default !== undefined) return { value: p.default };
  const parsed = parseField(p, undefined, t);
  return parsed.ok ? { value: parsed.value } : { problem: parsed.error };
}

const okOrProblem = (d: ReturnType<typeof defaultOf>): FieldResult => ('value' in d ? { ok: true, value: d.value } : { ok: false, error: d.problem });

/** What a run asks when nobody is there to answer (a schedule): every input's default. */
export function inputDefaults(button: Pick<Button, 'inputs'>): Values {
  const values: Values = {};
  for (const p of button.inputs) {
    const d = defaultOf(p);
    // The config refuses a schedule on a button whose required inputs lack defaults; a person's run never gets here.
    values[p.name] = 'value' in d ? d.value : null;
  }
  return values;
}

/**
 * The inputs as a form sent them: the dialog on the page, which sends every
 * input (an unticked box is absent, so absent is empty); or a pipeline's form,
 * which leaves out what it does not set (`partial`: absent takes the default).
 */
export function inputsFromForm(button: Pick<Button, 'inputs'>, get: FieldSource, partial = false, t?: Translate, named: readonly string[] = [], files?: FileSource): InputsResult {
  const result: InputsResult = { values: {}, errors: {}, raw: {} };
  unknownInputs(button, named, result);
  for (const p of button.inputs) {
    if (p.type === 'file') {
      takeFile(result, p.name, checkUpload(p, files?.(p.name), t));
      continue;
    }
    const raw = get(p.name);
    result.raw[p.name] = raw ?? '';
    const parsed = raw === undefined && partial ? okOrProblem(defaultOf(p, t)) : parseField(p, raw, t);
    if (parsed.ok) result.values[p.name] = parsed.value;
    else result.errors[p.name] = parsed.error;
  }
  return result;
}

/** An error for each name given that is no input of the button (`named`: the names a caller sent). */
function unknownInputs(button: Pick<Button, 'inputs'>, named: readonly string[], result: InputsResult): void {
  const names = button.inputs.map((p) => p.name);
  for (const key of named) {
    if (!names.includes(key)) result.errors[key] = names.length ? `not an input of this button (it has ${names.join(', ')})` : 'not an input: this button asks for none';
  }
}

/**
 * The inputs as JSON sent them (`{"inputs": {...}}` of the API, or a run's
 * recorded inputs on re-run, `kept`: a file is the one kept with that run):
 * typed values; one left out takes its default.
 */
export function inputsFromJson(button: Pick<Button, 'inputs'>, given: unknown, kept = false): InputsResult {
  const result: InputsResult = { values: {}, errors: {}, raw: {} };
  if (given === undefined || given === null) given = {};
  if (typeof given !== 'object' || Array.isArray(given)) {
    result.errors.inputs = 'must be an object of input names to values';
    return result;
  }
  const entries = given as Record<string, unknown>;
  unknownInputs(button, Object.keys(entries), result);
  for (const p of button.inputs) {
    if (p.type === 'file') {
      takeFile(result, p.name, fileFromJson(p, entries[p.name], kept));
      continue;
    }
    const c = p.name in entries ? checkValue(p, entries[p.name]) : defaultOf(p);
    if ('value' in c) result.values[p.name] = c.value;
    else result.errors[p.name] = c.problem.startsWith(`${p.name}: `) ? c.problem.slice(p.name.length + 2) : c.problem;
  }
  return result;
}
