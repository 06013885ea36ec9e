/**
 * The one strict schema for config.yaml. Every consumer (form, save, export,
 * history) reads the types derived here, so a parameter means the same thing
 * everywhere. Checks that span several entries (unique names, select
 * defaults) live in refinements so their errors carry a document path.
 */
import * as z from 'zod';
import { hasRole, ROLES, type Role } from '../roles.ts';
import { buttonRetention, pageRetention, siteRetention } from './retention.ts';
import { durationUpTo, parseDuration } from './duration.ts';
import { scheduleSchema } from './schedule.ts';
import { buttonNotify, checkNotify, pageNotify, siteNotify } from './notify.ts';
import { docsSchema } from './docs.ts';
import { translatable, Translations } from './text.ts';
import { placeholders } from '../confirm.ts';
import { FILE_MAX_MB } from '../files.ts';

export const PARAMETER_TYPES = ['text', 'textarea', 'integer', 'number', 'boolean', 'select', 'multiselect', 'date', 'datetime', 'secret', 'file'] as const;
export type ParameterType = (typeof PARAMETER_TYPES)[number];

/** Longest text value accepted by default; a text parameter may lower it. */
export const TEXT_MAX_LENGTH = 10_000;

/**
 * A text `pattern` is tested against values of at most this many characters
 * (a text with a pattern may not raise max_length past it), and may itself be
 * at most PATTERN_MAX_LENGTH long: together they bound the time a
 * backtracking pattern can take on one value.
 */
export const PATTERN_VALUE_MAX = 1000;
export const PATTERN_MAX_LENGTH = 200;

/** Why `source` cannot be a parameter's pattern, or undefined. */
export function patternProblem(source: string): string | undefined {
  if (source.length > PATTERN_MAX_LENGTH) return `must be at most ${PATTERN_MAX_LENGTH} characters`;
  try {
    new RegExp(source, 'u');
  } catch (e) {
    return `must be a valid regular expression (JavaScript, u flag): ${(e as Error).message}`;
  }
  return undefined;
}

/** A decimal number as YAML and the form write it: no exponent, no leading dot. */
export const DECIMAL = /^[+-]?\d+(\.\d+)?$/;
export const DATE = /^\d{4}-\d{2}-\d{2}$/;
/** ISO 8601 date and time to the minute or second, with Z or an offset, or none (local time as typed). */
export const DATETIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2})?(Z|[+-]\d{2}:\d{2})?$/;

const identifier = z
  .string()
  .regex(/^[a-z][a-z0-9_]{0,63}$/, {
    message: 'must be a safe identifier: lowercase letters, digits and _, starting with a letter, at most 64 characters',
  });

const slug = z
  .string()
  .regex(/^[a-z0-9](?:[a-z0-9-]{0,62}[a-z0-9])?$/, {
    message: 'must be a safe slug: lowercase letters, digits and single dashes, at most 64 characters, no dash at either end',
  })
  .refine((s) => !s.includes('--'), { message: 'must not contain "--"' });

// Text people read: one string, or one per language (src/core/config/text.ts).
const label = translatable(z.string().trim().min(1, { message: 'must not be empty' }).max(200));
const helpText = translatable(z.string().max(2000));

/** A relative path that must stay inside `root/` once normalised. */
function pathInside(root: string) {
  return z.string().superRefine((value, ctx) => {
    const problem = pathProblem(value, root);
    if (problem) ctx.addIssue({ code: 'custom', message: problem });
  });
}

export function pathProblem(value: string, root: string): string | undefined {
  if (value.length === 0 || value.length > 512) return `must be a path of 1 to 512 characters inside ${root}/`;
  if (/[\0-\x1f\\]/.test(value)) return 'must not contain control characters or backslashes';
  if (value.startsWith('/')) return `must be relative and inside ${root}/, got an absolute path`;
  const parts = value.split('/');
  if (parts.some((p) => p === '..' || p === '.' || p === '')) {
    return `must stay inside ${root}/ (no "..", "." or empty segments)`;
  }
  if (parts[0] !== root || parts.length < 2) return `must be inside ${root}/`;
  return undefined;
}

/**
 * Where a button's outputs may be written, below app_data/. Everything else
 * there (the database and its WAL/SHM files, backups, run folders, the
 * runner's own files) belongs to Switchyard, so that no run can overwrite or
 * delete it. The runner checks the same folders again (src/protocol).
 */
export const OUTPUT_FOLDERS = { status_file: 'app_data/status', report_path: 'app_data/reports' } as const;

/** A button output: a path inside app_data/ that also lies in its own folder. */
function outputPath(key: keyof typeof OUTPUT_FOLDERS) {
  const folder = OUTPUT_FOLDERS[key];
  return z.string().superRefine((value, ctx) => {
    const problem = pathProblem(value, 'app_data') ?? (value.startsWith(`${folder}/`) ? undefined : outputFolderProblem(folder, value));
    if (problem) ctx.addIssue({ code: 'custom', message: problem });
  });
}

function outputFolderProblem(folder: string, value: string): string {
  return `must be inside ${folder}/ (the rest of app_data/ holds Switchyard's own database, backups and run files), got "${value}"`;
}

/**
 * Two buttons writing the same file would overwrite each other's status or
 * report, and a file that is another output's folder cannot be written at
 * all: every output path of the site must be its own.
 */
function distinctOutputs(pages: { buttons: { status_file: string; report_path: string }[] }[], ctx: z.RefinementCtx): void {
  const seen: { path: string; where: string }[] = [];
  pages.forEach((p, pi) =>
    p.buttons.forEach((b, bi) => {
      for (const key of ['status_file', 'report_path'] as const) {
        const path = b[key];
        const where = `pages[${pi}].buttons[${bi}].${key}`;
        const clash = seen.find((o) => o.path === path || o.path.startsWith(`${path}/`) || path.startsWith(`${o.path}/`));
        if (clash) {
          const message = clash.path === path
            ? `"${path}" is already used by ${clash.where}: every button needs its own status file and report`
            : `"${path}" and ${clash.where} ("${clash.path}") would need the same path as a file and as a folder`;
          ctx.addIssue({ code: 'custom', path: ['pages', pi, 'buttons', bi, key], message });
        } else seen.push({ path, where });
      }
    }),
  );
}

// Form fields that are not parameters; a parameter may not take their names.
export const RESERVED_FIELD_NAMES = ['filename', 'action'] as const;

const parameterName = identifier.refine((n) => !(RESERVED_FIELD_NAMES as readonly string[]).includes(n), {
  message: `is reserved for the page form (${RESERVED_FIELD_NAMES.join(', ')}); choose another name`,
});

// Split around `type` and `default` so that every parameter's keys read in one order (also in "allowed:" hints).
const named = {
  name: parameterName,
  label: label.optional(),
};
const described = {
  required: z.boolean().default(false),
  help_text: helpText.optional(),
  visible_when: z
    .record(z.string(), z.union([z.string(), z.number(), z.boolean()]))
    .refine((w) => Object.keys(w).length >= 1, { message: 'must name at least one parameter, such as {mode: advanced}' })
    .optional(),
};

const textParameter = z.strictObject({
  ...named,
  type: z.literal('text'),
  default: z.string().max(TEXT_MAX_LENGTH).optional(),
  ...described,
  max_length: z.int().min(1).max(TEXT_MAX_LENGTH).optional(),
  pattern: z.string().superRefine((v, ctx) => {
    const problem = patternProblem(v);
    if (problem) ctx.addIssue({ code: 'custom', message: problem });
  }).optional(),
  pattern_message: z.string().trim().min(1).max(300).optional(),
});

const integerParameter = z.strictObject({
  ...named,
  type: z.literal('integer'),
  default: z.int().optional(),
  ...described,
  min: z.int().optional(),
  max: z.int().optional(),
});

const booleanParameter = z.strictObject({
  ...named,
  type: z.literal('boolean'),
  default: z.boolean().default(false),
  ...described,
});

// No control characters: a multiselect's form text is its options one per line.
const optionList = z.array(z.string().min(1).max(200).regex(/^[^\u0000-\u001f\u007f]*$/, { message: 'must not contain control characters or line breaks' })).max(500);
const options = optionList.min(1, { message: 'must list at least one option' });

/**
 * Where a button input's choices come from at run time instead of `options`:
 * the file of that name from the newest succeeded run (of one button, or of
 * any button of the page) that left one, one choice a line, or a JSON list of
 * strings. So a host's own lists (the archives kept, the jobs waiting) reach
 * the dialog from wherever the runner is, and a start is checked against the
 * same list.
 */
/** A file a run may leave: the same rule as ARTIFACT_NAME in src/protocol, which the runner checks. */
export const OPTIONS_FILE_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;
const optionsFrom = z.strictObject({
  page: slug.optional(),
  button: identifier.optional(),
  file: z.string().regex(OPTIONS_FILE_NAME, { message: 'must be a file name a run leaves: letters, digits, ".", "_" or "-", such as archives.txt' }),
});

const selectParameter = z.strictObject({
  ...named,
  type: z.literal('select'),
  default: z.string().optional(),
  ...described,
  // Empty only with options_from; filled from the run's file when a dialog is shown or a start is checked.
  options: optionList.default([]),
  options_from: optionsFrom.optional(),
});

const multiselectParameter = z.strictObject({
  ...named,
  type: z.literal('multiselect'),
  default: z.array(z.string()).optional(),
  ...described,
  options,
});

const textareaParameter = z.strictObject({
  ...named,
  type: z.literal('textarea'),
  default: z.string().max(TEXT_MAX_LENGTH).optional(),
  ...described,
  max_length: z.int().min(1).max(TEXT_MAX_LENGTH).optional(),
});

const numberParameter = z.strictObject({
  ...named,
  type: z.literal('number'),
  default: z.number().optional(),
  ...described,
  min: z.number().optional(),
  max: z.number().optional(),
  step: z.number().refine((n) => n > 0, { message: 'must be greater than 0' }).optional(),
});

const dateParameter = z.strictObject({
  ...named,
  type: z.literal('date'),
  default: z.string().regex(DATE, { message: 'must be a date such as 2026-03-31' }).optional(),
  ...described,
});

const datetimeParameter = z.strictObject({
  ...named,
  type: z.literal('datetime'),
  default: z.string().regex(DATETIME, { message: 'must be a date and time such as 2026-03-31T18:00 or 2026-03-31T18:00:00Z' }).optional(),
  ...described,
});

// No default: a secret's value never lives in config.yaml, which is committed.
const secretParameter = z.strictObject({
  ...named,
  type: z.literal('secret'),
  ...described,
});

/**
 * A file the person gives when pressing a button (inputs only: a page keeps
 * values, not files). No default: a file lives with its run. The bound is
 * FILE_MAX_MB (src/core/files.ts), also for all of a button's files together.
 */
const fileParameter = z.strictObject({
  ...named,
  type: z.literal('file'),
  ...described,
  accept: z.array(z.string().regex(/^\.[a-z0-9][a-z0-9._-]{0,19}$/, { message: 'must be a file extension in lower case with its dot, such as .stl' })).min(1).max(50).optional(),
  max_size_mb: z.int().min(1).max(FILE_MAX_MB, { message: `must be at most ${FILE_MAX_MB} (MB)` }).optional(),
});

const parameter = z
  .discriminatedUnion('type', [
    textParameter, textareaParameter, integerParameter, numberParameter, booleanParameter,
    selectParameter, multiselectParameter, dateParameter, datetimeParameter, secretParameter, fileParameter,
  ])
  .superRefine((p, ctx) => {
    if (p.type === 'multiselect') checkMultiselect(p, ctx);
    if (p.type === 'select' && p.options_from) {
      if (p.options.length) ctx.addIssue({ code: 'custom', path: ['options_from'], message: 'cannot be given with options: the choices come from one or the other' });
      if (p.default !== undefined) ctx.addIssue({ code: 'custom', path: ['default'], message: 'cannot be given with options_from: the choices are not known until a run lists them' });
    } else if (p.type === 'select' && p.options.length === 0) {
      ctx.addIssue({ code: 'custom', path: ['options'], message: 'must list at least one option' });
    }
    if (p.type === 'select' && !p.options_from) {
      const seen = new Set<string>();
      p.options.forEach((o, i) => {
        if (seen.has(o)) ctx.addIssue({ code: 'custom', path: ['options', i], message: `duplicate option "${o}"` });
        seen.add(o);
      });
      if (p.default !== undefined && !p.options.includes(p.default)) {
        ctx.addIssue({
          code: 'custom',
          path: ['default'],
          message: `must be one of the options (${p.options.join(', ')}), got "${p.default}"`,
        });
      }
    }
    if (p.type === 'integer' || p.type === 'number') {
      if (p.min !== undefined && p.max !== undefined && p.min > p.max) {
        ctx.addIssue({ code: 'custom', path: ['max'], message: `must be at least min (${p.min})` });
      }
      if (p.default !== undefined && ((p.min !== undefined && p.default < p.min) || (p.max !== undefined && p.default > p.max))) {
        ctx.addIssue({ code: 'custom', path: ['default'], message: 'must lie between min and max' });
      }
    }
    if ((p.type === 'text' || p.type === 'textarea') && p.default !== undefined && p.max_length !== undefined && p.default.length > p.max_length) {
      ctx.addIssue({ code: 'custom', path: ['default'], message: `is longer than max_length (${p.max_length})` });
    }
    if (p.type === 'text' && p.pattern !== undefined) checkPattern(p, ctx);
  });

function checkMultiselect(p: { options: string[]; default?: string[] }, ctx: z.RefinementCtx): void {
  const seen = new Set<string>();
  p.options.forEach((o, i) => {
    if (seen.has(o)) ctx.addIssue({ code: 'custom', path: ['options', i], message: `duplicate option "${o}"` });
    seen.add(o);
  });
  p.default?.forEach((d, i) => {
    if (!p.options.includes(d)) ctx.addIssue({ code: 'custom', path: ['default', i], message: `must be one of the options (${p.options.join(', ')}), got "${d}"` });
  });
}

function checkPattern(p: { pattern?: string; max_length?: number; default?: string }, ctx: z.RefinementCtx): void {
  if ((p.max_length ?? TEXT_MAX_LENGTH) > PATTERN_VALUE_MAX) {
    ctx.addIssue({ code: 'custom', path: ['max_length'], message: `must be set to at most ${PATTERN_VALUE_MAX} on a text with a pattern (it bounds the time the pattern may take)` });
  }
  if (p.default !== undefined && p.default !== '' && patternProblem(p.pattern!) === undefined && !fullMatch(p.pattern!, p.default)) {
    ctx.addIssue({ code: 'custom', path: ['default'], message: `must match the pattern ${p.pattern}` });
  }
}

/** Whether the whole of `value` matches `pattern` (as the HTML pattern attribute: anchored at both ends). */
export function fullMatch(pattern: string, value: string): boolean {
  return new RegExp(`^(?:${pattern})$`, 'u').test(value);
}

export { parseDuration };

/**
 * A runner label such as `gpu` or `host=db-1`. The runner's own labels
 * (SWITCHYARD_RUNNER_LABELS) are checked by the same rule in src/protocol.
 */
export const RUNNER_LABEL = /^[A-Za-z0-9][A-Za-z0-9._:\/=-]{0,99}$/;
export const RUNNER_LABELS_MAX = 20;
const runnerLabel = z.string().regex(RUNNER_LABEL, { message: 'must be a runner label: up to 100 letters, digits, ".", "_", ":", "/", "=" or "-", such as gpu or host=db-1' });

const MAX_TIMEOUT_MS = 7 * 24 * 3_600_000;

/** A figure's name and how many a button charts: the same rule as METRIC_NAME in src/protocol, which the runner checks. */
export const METRIC_NAME = /^[a-z][a-z0-9_]{0,63}$/;
export const METRICS_MAX = 20;

/** How a figure reads: bytes as kB/MB, seconds as a duration, counts as whole numbers, any other number as it is. */
export const METRIC_UNITS = ['bytes', 'seconds', 'count', 'number'] as const;
const metricChart = z.strictObject({
  name: z.string().regex(METRIC_NAME, { message: 'must be a figure\'s name as the script writes it: a-z, 0-9 and _, starting with a letter, such as archive_bytes' }),
  label,
  unit: z.enum(METRIC_UNITS).default('number'),
});

const role = z.enum(ROLES, { message: `must be one of ${ROLES.join(', ')}` });

/**
 * Who may see and run one button: the page's `access` shape, with the one
 * action a button has. It can only narrow the page's `run` (checked by the page).
 */
const buttonAccess = z.strictObject({ run: role });

const button = z.strictObject({
  name: identifier,
  label,
  script_path: pathInside('scripts'),
  status_file: outputPath('status_file'),
  report_path: outputPath('report_path'),
  timeout: z
    .unknown()
    .optional()
    .transform((value, ctx) => {
      if (value === undefined) return undefined;
      return durationUpTo(value, MAX_TIMEOUT_MS, 'must be a duration of at most 7 days, such as 90, "90s", "15m" or "2h"', ctx);
    }),
  confirm: translatable(z.string().trim().min(1, { message: 'must not be empty' }).max(500)).optional(),
  schedule: scheduleSchema.optional(),
  retention: buttonRetention.optional(),
  notify: buttonNotify.optional(),
  // Asked when the button is pressed; the same shapes (and checks) as the page's parameters.
  inputs: z.array(parameter).max(50).default([]),
  runs_on: z.array(runnerLabel).min(1, { message: 'must list at least one runner label' }).max(RUNNER_LABELS_MAX).optional(),
  access: buttonAccess.optional(),
  // Markdown shown with the button and in its inputs dialog: the page docs' shapes and renderer.
  docs: docsSchema.optional(),
  // Figures its script gives (SWITCHYARD_METRICS_FILE) that the dashboard charts over its recent runs.
  metrics: z.array(metricChart).max(METRICS_MAX).optional(),
});

/**
 * A button's inputs reach the script as parameters do (SWITCHYARD_PARAM_<NAME>
 * and the values file), so one name cannot mean two things: an input may not
 * share its name with a parameter of its page. A scheduled run has nobody to
 * ask, so it takes the inputs' defaults, and an input it cannot fill that way
 * (required, no default) makes the schedule impossible.
 */
function checkInputs(p: { parameters: { name: string }[]; buttons: z.output<typeof button>[] }, ctx: z.RefinementCtx): void {
  p.buttons.forEach((b, bi) => {
    const at = ['buttons', bi, 'inputs'];
    uniqueBy(b.inputs, 'name', 'input name', ctx, at);
    b.inputs.forEach((input, ii) => {
      if (p.parameters.some((q) => q.name === input.name)) {
        ctx.addIssue({ code: 'custom', path: [...at, ii, 'name'], message: `"${input.name}" is already a parameter of this page; inputs reach the script as parameters do, so choose another name` });
      }
      if (input.type === 'secret') {
        ctx.addIssue({ code: 'custom', path: [...at, ii, 'type'], message: 'cannot be secret: a run keeps its inputs with it and shows them; make it a parameter of the page instead' });
      }
      if (input.type === 'file') return checkFileInput(b, input, [...at, ii], ctx);
      if (b.schedule && input.required && input.type !== 'boolean' && !('default' in input && input.default !== undefined)) {
        ctx.addIssue({ code: 'custom', path: [...at, ii, 'default'], message: `is needed: the button has a schedule, and a scheduled run takes the inputs' defaults (input "${input.name}" is required)` });
      }
    });
    checkConfirmPlaceholders(b, ['buttons', bi, 'confirm'], ctx);
    checkFileTotal(b, at, ctx);
  });
}

/** A scheduled run has nobody to give it a file, so a required file input and a schedule cannot go together. */
function checkFileInput(b: z.output<typeof button>, input: { name: string; required: boolean }, at: (string | number)[], ctx: z.RefinementCtx): void {
  if (b.schedule && input.required) {
    ctx.addIssue({ code: 'custom', path: [...at, 'required'], message: `cannot be true: the button has a schedule, and a scheduled run has nobody to give it a file (input "${input.name}")` });
  }
}

/** One request carries all of a button's files: together they stay within FILE_MAX_MB. */
function checkFileTotal(b: z.output<typeof button>, at: (string | number)[], ctx: z.RefinementCtx): void {
  const files = b.inputs.filter((i) => i.type === 'file');
  const total = files.reduce((sum, i) => sum + (i.max_size_mb ?? FILE_MAX_MB), 0);
  if (files.length > 1 && total > FILE_MAX_MB) {
    ctx.addIssue({ code: 'custom', path: at, message: `file inputs may allow at most ${FILE_MAX_MB} MB together (one request carries them all), got ${total} MB: set max_size_mb on each` });
  }
}

/** A page's parameters keep values between saves; a file belongs to one run, so it is a button's input only. */
function checkNoFileParameters(params: { type: string }[], ctx: z.RefinementCtx): void {
  params.forEach((p, i) => {
    if (p.type === 'file') ctx.addIssue({ code: 'custom', path: ['parameters', i, 'type'], message: 'cannot be file on a page: a file is given when a button is pressed; make it one of the button\'s inputs' });
  });
}

/** Every `{name}` in a button's confirm text (each translation) must be one of its inputs. */
function checkConfirmPlaceholders(b: z.output<typeof button>, at: (string | number)[], ctx: z.RefinementCtx): void {
  if (b.confirm === undefined) return;
  // Typed as a string, but a Translations until the config is localized (text.ts).
  const confirm: unknown = b.confirm;
  const texts: [string[], string][] = confirm instanceof Translations
    ? Object.entries(confirm.byLanguage).map(([lang, text]) => [[lang], text!])
    : [[[], b.confirm]];
  const names = b.inputs.map((i) => i.name);
  for (const [sub, text] of texts) {
    // A text its own checks refused already has its problem.
    if (typeof text !== 'string') continue;
    for (const name of placeholders(text).filter((n) => !names.includes(n))) {
      const has = names.length ? `its inputs are ${names.join(', ')}` : 'it has no inputs';
      ctx.addIssue({ code: 'custom', path: [...at, ...sub], message: `names {${name}}, which is not an input of this button (${has}); a placeholder is filled with the value entered for that input` });
    }
  }
}

/**
 * A button's `access` narrows its page's: `run: operator` on a page whose
 * buttons only editors may run would widen it, and is refused like the page's
 * `edit: operator`.
 */
function checkButtonAccess(p: { access?: { run?: Role }; buttons: z.output<typeof button>[] }, ctx: z.RefinementCtx): void {
  const pageLeast = p.access?.run ?? 'operator';
  p.buttons.forEach((b, bi) => {
    const least = b.access?.run;
    if (least && !hasRole(least, pageLeast)) {
      ctx.addIssue({ code: 'custom', path: ['buttons', bi, 'access', 'run'], message: `can only narrow who may run: the page lets ${pageLeast} and above run its buttons, so ${ROLES.filter((r) => hasRole(r, pageLeast)).join(' or ')}, got "${least}"` });
    }
  });
}

/** Adds an issue at `key` of every entry whose `key` repeats an earlier one. */
function uniqueBy<T>(items: T[], key: keyof T & string, what: string, ctx: z.RefinementCtx, prefix: (string | number)[]) {
  const first = new Map<unknown, number>();
  items.forEach((item, i) => {
    const value = item[key];
    const earlier = first.get(value);
    if (earlier === undefined) first.set(value, i);
    else ctx.addIssue({ code: 'custom', path: [...prefix, i, key], message: `duplicate ${what} "${String(value)}" (first used at index ${earlier})` });
  });
}

/**
 * Who may see, change and run a page: the least role for each. A page can
 * only narrow the defaults (view: viewer, edit: editor, run: operator).
 */
const access = z
  .strictObject({ view: role.optional(), edit: role.optional(), run: role.optional() })
  .superRefine((a, ctx) => {
    if (a.edit && !hasRole(a.edit, 'editor')) ctx.addIssue({ code: 'custom', path: ['edit'], message: `can only narrow who may edit: editor or admin, got "${a.edit}"` });
    if (a.run && !hasRole(a.run, 'operator')) ctx.addIssue({ code: 'custom', path: ['run'], message: `can only narrow who may run: operator, editor or admin, got "${a.run}"` });
  });

const page = z
  .strictObject({
    slug,
    title: label,
    description: translatable(z.string().max(5000)).optional(),
    docs: docsSchema.optional(),
    requires_login: z.boolean().default(true),
    /** Every save (and restore) of the page must say why it was made. */
    require_reason: z.boolean().optional(),
    access: access.optional(),
    parameters: z.array(parameter).max(200).default([]),
    buttons: z.array(button).max(50).default([]),
    retention: pageRetention.optional(),
    notify: pageNotify.optional(),
  })
  .superRefine((p, ctx) => {
    if (!p.requires_login && p.access?.view) {
      ctx.addIssue({ code: 'custom', path: ['access', 'view'], message: 'cannot be set on a page with requires_login: false (anyone may see it)' });
    }
    uniqueBy(p.parameters, 'name', 'parameter name', ctx, ['parameters']);
    p.parameters.forEach((q, i) => {
      if (q.type === 'select' && q.options_from) {
        ctx.addIssue({ code: 'custom', path: ['parameters', i, 'options_from'], message: "is only for a button's inputs: a saved value must stay valid while the list it came from changes" });
      }
    });
    checkNoFileParameters(p.parameters, ctx);
    checkVisibleWhen(p.parameters, ctx);
    uniqueBy(p.buttons, 'name', 'button name', ctx, ['buttons']);
    checkInputs(p, ctx);
    checkButtonAccess(p, ctx);
  });

type ParameterOf = z.output<typeof parameter>;

/**
 * `visible_when` names other parameters of the same page with a value each
 * fits: the field shows only while every one of them has that value.
 */
function checkVisibleWhen(params: ParameterOf[], ctx: z.RefinementCtx): void {
  const byName = new Map(params.map((p) => [p.name, p]));
  params.forEach((p, i) => {
    for (const [name, wanted] of Object.entries(p.visible_when ?? {})) {
      const path = ['parameters', i, 'visible_when', name];
      const other = byName.get(name);
      const problem =
        name === p.name ? 'cannot depend on the field itself'
        : !other ? `is not a parameter of this page (it has ${params.map((q) => q.name).join(', ')})`
        : conditionProblem(other, wanted);
      if (problem) ctx.addIssue({ code: 'custom', path, message: problem });
    }
  });
  const cycle = visibilityCycle(params);
  if (cycle) ctx.addIssue({ code: 'custom', path: ['parameters', params.findIndex((p) => p.name === cycle[0]), 'visible_when'], message: `makes a cycle: ${cycle.join(' → ')}` });
}

/** Why `wanted` can never be the value of `other`, or undefined. */
function conditionProblem(other: ParameterOf, wanted: string | number | boolean): string | undefined {
  const got = JSON.stringify(wanted);
  switch (other.type) {
    case 'boolean':
      return typeof wanted === 'boolean' ? undefined : `must be true or false (${other.name} is a boolean), got ${got}`;
    case 'integer':
    case 'number':
      return typeof wanted === 'number' && (other.type === 'number' || Number.isInteger(wanted)) ? undefined : `must be ${other.type === 'integer' ? 'an integer' : 'a number'} (the type of ${other.name}), got ${got}`;
    case 'select':
    case 'multiselect':
      return typeof wanted === 'string' && other.options.includes(wanted) ? undefined : `must be one of the options of ${other.name} (${other.options.join(', ')}), got ${got}`;
    case 'secret':
      return `cannot depend on ${other.name}: a secret's value is never shown, not even by which fields it reveals`;
    default:
      return typeof wanted === 'string' ? undefined : `must be text (${other.name} is ${other.type}), got ${got} (put it in quotes)`;
  }
}

/** The first chain of fields that end up depending on themselves, or undefined. */
function visibilityCycle(params: ParameterOf[]): string[] | undefined {
  const deps = new Map(params.map((p) => [p.name, Object.keys(p.visible_when ?? {}).filter((n) => n !== p.name)]));
  const done = new Set<string>();
  const walk = (name: string, trail: string[]): string[] | undefined => {
    if (trail.includes(name)) return [...trail.slice(trail.indexOf(name)), name];
    if (done.has(name)) return undefined;
    for (const next of deps.get(name) ?? []) {
      const found = walk(next, [...trail, name]);
      if (found) return found;
    }
    done.add(name);
    return undefined;
  };
  for (const p of params) {
    const found = walk(p.name, []);
    if (found) return found;
  }
  return undefined;
}

const branch = z.string().regex(/^(?!.*\.\.)(?!.*\/\/)(?!\/)(?!.*\/$)(?!.*\.lock$)[A-Za-z0-9._\/-]{1,100}$/, {
  message: 'must be a valid branch name (letters, digits, ".", "_", "-", "/")',
});
const envName = z.string().regex(/^[A-Z_][A-Z0-9_]{0,63}$/, { message: 'must be an environment variable name such as GITHUB_TOKEN' });

/**
 * Where saves are published as commits. Secrets never live here: the GitHub
 * token is read from the environment variable named by `token_env`.
 */
const gitSchema = z
  .strictObject({
    directory: z
      .string()
      .regex(/^(?!\/)(?!.*\.\.)[A-Za-z0-9._\/-]{1,100}$/, { message: 'must be a relative folder inside the repository, without ".."' })
      .default('values'),
    /**
     * A change made in the repository to a page's values file: `auto` records it
     * as a save by the commit's author when config.yaml accepts its values;
     * `review` offers it to editors to adopt or keep theirs.
     */
    adopt: z.enum(['auto', 'review']).default('review'),
    /**
     * `direct` commits to the branch, and proposes the save instead when the
     * branch refuses the push; `pull_request` always proposes.
     */
    mode: z.enum(['direct', 'pull_request']).default('direct'),
    local: z
      .strictObject({
        path: z.string().min(1).max(1000),
        branch: branch.default('main'),
        remote: z.string().regex(/^[A-Za-z0-9._-]{1,64}$/, { message: 'must be the name of a configured git remote, such as origin' }).optional(),
      })
      .optional(),
    github: z
      .strictObject({
        repository: z.string().regex(/^[A-Za-z0-9_.-]{1,100}\/[A-Za-z0-9_.-]{1,100}$/, { message: 'must be owner/name' }),
        branch: branch.default('main'),
        token_env: envName.default('GITHUB_TOKEN'),
        api_url: z.url({ protocol: /^https?$/, message: 'must be an http(s) URL' }).default('https://api.github.com'),
        /** The environment variable holding the push webhook's secret; the webhook is off without it. */
        webhook_secret_env: envName.optional(),
      })
      .optional(),
  })
  .superRefine((g, ctx) => {
    if (!g.local === !g.github) ctx.addIssue({ code: 'custom', message: 'must have exactly one of local or github' });
  });

export type GitConfig = z.output<typeof gitSchema>;

export const siteSchema = z
  .strictObject({
    toplevel_title: label,
    pages: z.array(page).min(1, { message: 'must list at least one page' }).max(200),
    git: gitSchema.optional(),
    retention: siteRetention.optional(),
    notify: siteNotify.optional(),
  })
  .superRefine((site, ctx) => {
    uniqueBy(site.pages, 'slug', 'page slug', ctx, ['pages']);
    distinctOutputs(site.pages, ctx);
    checkNotify(site, ctx);
    checkOptionsFrom(site, ctx);
  });

/** Every `options_from` names a page and button that exist (its own page unless it names another; any of its buttons unless it names one). */
function checkOptionsFrom(site: { pages: { slug: string; buttons: z.output<typeof button>[] }[] }, ctx: z.RefinementCtx): void {
  site.pages.forEach((page, pi) =>
    page.buttons.forEach((b, bi) =>
      b.inputs.forEach((input, ii) => {
        if (input.type !== 'select' || !input.options_from) return;
        const { page: slug = page.slug, button: name } = input.options_from;
        const source = site.pages.find((q) => q.slug === slug);
        const at = ['pages', pi, 'buttons', bi, 'inputs', ii, 'options_from'];
        if (!source) ctx.addIssue({ code: 'custom', path: [...at, 'page'], message: `no page "${slug}"` });
        else if (name !== undefined && !source.buttons.some((x) => x.name === name)) ctx.addIssue({ code: 'custom', path: [...at, 'button'], message: `page "${slug}" has no button "${name}"` });
      }),
    ),
  );
}

export type SiteConfig = z.output<typeof siteSchema>;
export type PageConfig = SiteConfig['pages'][number];
export type Parameter = PageConfig['parameters'][number];
export type Button = PageConfig['buttons'][number];
/** What a button asks when pressed: a parameter in all but where its value comes from. */
export type Input = Button['inputs'][number];

/** A file input's value as a run records it: the file's name, size and SHA-256, never its bytes (src/core/files.ts). */
export interface FileValue {
  name: string;
  size: number;
  sha256: string;
}

/** A parameter's value once parsed: what the form shows, the database keeps and the export writes; a file only as a run's input. */
export type Value = string | number | boolean | null | string[] | FileValue;
export type Values = Record<string, Value>;
