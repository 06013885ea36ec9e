/**
 * The one strict schema for config.yaml. Every consumer (form, save, export,
 * history) reads the types derived here, so a parameter means the same thing
 * everywhere. Checks that span several entries (unique names, select
 * defaults) live in refinements so their errors carry a document path.
 */
import * as z from 'zod';
import { hasRole, ROLES } from '../roles.ts';
import { buttonRetention, pageRetention, siteRetention } from './retention.ts';
import { durationUpTo, parseDuration } from './duration.ts';
import { scheduleSchema } from './schedule.ts';
import { buttonNotify, checkNotify, pageNotify, siteNotify } from './notify.ts';

export const PARAMETER_TYPES = ['text', 'integer', 'boolean', 'select'] as const;
export type ParameterType = (typeof PARAMETER_TYPES)[number];

/** Longest text value accepted by default; a text parameter may lower it. */
export const TEXT_MAX_LENGTH = 10_000;

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

const label = z.string().trim().min(1, { message: 'must not be empty' }).max(200);
const helpText = z.string().max(2000);

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
};

const textParameter = z.strictObject({
  ...named,
  type: z.literal('text'),
  default: z.string().max(TEXT_MAX_LENGTH).optional(),
  ...described,
  max_length: z.int().min(1).max(TEXT_MAX_LENGTH).optional(),
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

const selectParameter = z.strictObject({
  ...named,
  type: z.literal('select'),
  default: z.string().optional(),
  ...described,
  options: z.array(z.string().min(1).max(200)).min(1, { message: 'must list at least one option' }).max(500),
});

const parameter = z
  .discriminatedUnion('type', [textParameter, integerParameter, booleanParameter, selectParameter])
  .superRefine((p, ctx) => {
    if (p.type === 'select') {
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
    if (p.type === 'integer') {
      if (p.min !== undefined && p.max !== undefined && p.min > p.max) {
        ctx.addIssue({ code: 'custom', path: ['max'], message: `must be at least min (${p.min})` });
      }
      if (p.default !== undefined && ((p.min !== undefined && p.default < p.min) || (p.max !== undefined && p.default > p.max))) {
        ctx.addIssue({ code: 'custom', path: ['default'], message: 'must lie between min and max' });
      }
    }
    if (p.type === 'text' && p.default !== undefined && p.max_length !== undefined && p.default.length > p.max_length) {
      ctx.addIssue({ code: 'custom', path: ['default'], message: `is longer than max_length (${p.max_length})` });
    }
  });

export { parseDuration };

const MAX_TIMEOUT_MS = 7 * 24 * 3_600_000;

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
  confirm: z.string().trim().min(1).max(500).optional(),
  schedule: scheduleSchema.optional(),
  retention: buttonRetention.optional(),
  notify: buttonNotify.optional(),
});

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

const role = z.enum(ROLES, { message: `must be one of ${ROLES.join(', ')}` });

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
    description: z.string().max(5000).optional(),
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
    uniqueBy(p.buttons, 'name', 'button name', ctx, ['buttons']);
  });

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
  });

export type SiteConfig = z.output<typeof siteSchema>;
export type PageConfig = SiteConfig['pages'][number];
export type Parameter = PageConfig['parameters'][number];
export type Button = PageConfig['buttons'][number];

/** A parameter's value once parsed: what the form shows, the database keeps and the export writes. */
export type Value = string | number | boolean | null;
export type Values = Record<string, Value>;
