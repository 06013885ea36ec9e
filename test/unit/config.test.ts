import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { configRevision, formatProblems, parseConfig } from '../../src/core/config/load.ts';
import { PARAMETER_TYPES, pathProblem } from '../../src/core/config/schema.ts';

describe('the example config.yaml', () => {
  const text = readFileSync('config.yaml', 'utf8');
  const result = parseConfig(text);

  it('loads unchanged', () => {
    if (!result.ok) throw new Error(formatProblems(result.problems));
    const { config } = result;
    expect(config.toplevel_title).toBe('My Awesome Project');
    expect(config.pages.map((p) => p.slug)).toEqual(['toplevel', 'data-processing', 'database-backup', 'field-types']);
    const [top, processing, backup, types] = config.pages;
    expect(top!.parameters.map((p) => [p.name, p.type, 'default' in p ? p.default : undefined])).toEqual([
      ['version', 'text', '1.0'],
      ['instance_name', 'text', undefined],
      ['debug_mode', 'boolean', false],
      ['logging_level', 'select', 'info'],
    ]);
    expect(top!.requires_login).toBe(true);
    expect(processing!.buttons[0]).toMatchObject({
      name: 'start_processing',
      script_path: 'scripts/processing/start.sh',
      status_file: 'app_data/status/processing_status.json',
      report_path: 'app_data/reports/processing/latest.html',
    });
    expect(backup!.parameters).toEqual([]);
    expect(backup!.buttons.map((b) => b.name)).toEqual(['run_backup']);
    // Every type a page may hold: a file is a button's input only.
    expect(new Set(types!.parameters.map((p) => p.type))).toEqual(new Set(PARAMETER_TYPES.filter((t) => t !== 'file')));
    expect(types!.parameters.find((p) => p.name === 'depth')?.visible_when).toEqual({ mode: 'advanced' });
  });

  it('has a revision that follows its text', () => {
    expect(result.ok && result.revision).toBe(configRevision(text));
    expect(configRevision(text)).not.toBe(configRevision(text + '\n'));
  });
});

describe('paths in the config', () => {
  it.each([
    ['scripts/processing/start.sh', undefined],
    ['scripts/a', undefined],
    ['scripts', 'must be inside scripts/'],
    ['scripts/', 'must stay inside scripts/ (no "..", "." or empty segments)'],
    ['scripts/./a', 'must stay inside scripts/ (no "..", "." or empty segments)'],
    ['scripts\\..\\a', 'must not contain control characters or backslashes'],
    ['scriptsX/a', 'must be inside scripts/'],
    ['/scripts/a', 'must be relative and inside scripts/, got an absolute path'],
    ['scripts/a\u0000b', 'must not contain control characters or backslashes'],
  ])('%j → %s', (path, problem) => {
    expect(pathProblem(path, 'scripts')).toBe(problem);
  });
});

describe('config limits', () => {
  it('refuses a file over 1 MiB before parsing it', () => {
    const result = parseConfig(`toplevel_title: T\n# ${'x'.repeat(1024 * 1024)}\n`);
    expect(result.ok).toBe(false);
    if (!result.ok) expect(formatProblems(result.problems)).toBe('config.yaml:1:1 file is larger than 1024 KiB');
  });

  it('names the file it was given', () => {
    const result = parseConfig('pages: 3', 'site.yaml');
    expect(!result.ok && formatProblems(result.problems)).toBe(
      'site.yaml:1:1 toplevel_title: required, expected a string\nsite.yaml:1:8 pages: expected a list, got 3',
    );
  });

  it('reports every problem it can find at once, in file order', () => {
    const result = parseConfig('toplevel_title: 5\npages:\n  - {slug: A, title: ""}\n');
    expect(!result.ok && formatProblems(result.problems)).toBe(
      [
        'config.yaml:1:17 toplevel_title: expected a string, or one per language such as {en: "Backup", fr: "Sauvegarde"}, got 5',
        'config.yaml:3:12 pages[0].slug: must be a safe slug: lowercase letters, digits and single dashes, at most 64 characters, no dash at either end, got "A"',
        'config.yaml:3:22 pages[0].title: must not be empty',
      ].join('\n'),
    );
  });
});

describe('the git block', () => {
  const base = 'toplevel_title: T\npages:\n  - {slug: a, title: A}\n';
  it('accepts the documented keys with their defaults', () => {
    const r = parseConfig(`${base}git:\n  local:\n    path: ../values-repo\n`);
    expect(r.ok && r.config.git).toEqual({ directory: 'values', adopt: 'review', mode: 'direct', local: { path: '../values-repo', branch: 'main' } });
    const g = parseConfig(`${base}git:\n  directory: conf/values\n  github: {repository: acme/settings, branch: prod}\n`);
    expect(g.ok && g.config.git).toEqual({
      directory: 'conf/values',
      adopt: 'review',
      mode: 'direct',
      github: { repository: 'acme/settings', branch: 'prod', token_env: 'GITHUB_TOKEN', api_url: 'https://api.github.com' },
    });
  });

  it.each([
    ['git:\n  adopt: always\n  mode: pr\n  local: {path: x}\n', 'config.yaml:5:10 git.adopt: expected "auto" or "review", got "always"\nconfig.yaml:6:9 git.mode: expected "direct" or "pull_request", got "pr"'],
    ['git:\n  local: {path: x}\n  github: {repository: a/b}\n', 'config.yaml:5:3 git: must have exactly one of local or github'],
    ['git:\n  directory: ../out\n  local: {path: x}\n', 'config.yaml:5:14 git.directory: must be a relative folder inside the repository, without "..", got "../out"'],
    ['git:\n  local: {path: x, branch: "a..b"}\n', 'config.yaml:5:28 git.local.branch: must be a valid branch name (letters, digits, ".", "_", "-", "/"), got "a..b"'],
    ['git:\n  github: {repository: acme, token: abc}\n', 'config.yaml:5:24 git.github.repository: must be owner/name, got "acme"\nconfig.yaml:5:30 git.github.token: unknown key "token" (allowed: repository, branch, token_env, api_url, webhook_secret_env)'],
  ])('refuses %j', (yaml, expected) => {
    const r = parseConfig(base + yaml);
    expect(!r.ok && formatProblems(r.problems)).toBe(expected);
  });
});

describe('page access', () => {
  const page = (extra: string) => `toplevel_title: T\npages:\n  - slug: a\n    title: A\n${extra}`;
  it('narrows the defaults per page', () => {
    const r = parseConfig(page('    access: {view: operator, edit: admin, run: editor}\n'));
    expect(r.ok && r.config.pages[0]!.access).toEqual({ view: 'operator', edit: 'admin', run: 'editor' });
  });
  it.each([
    ['    access: {edit: operator}\n', 'config.yaml:5:20 pages[0].access.edit: can only narrow who may edit: editor or admin, got "operator"'],
    ['    access: {run: viewer}\n', 'config.yaml:5:19 pages[0].access.run: can only narrow who may run: operator, editor or admin, got "viewer"'],
    ['    access: {view: boss}\n', 'config.yaml:5:20 pages[0].access.view: expected "viewer" or "operator" or "editor" or "admin", got "boss"'],
    ['    requires_login: false\n    access: {view: editor}\n', 'config.yaml:6:20 pages[0].access.view: cannot be set on a page with requires_login: false (anyone may see it)'],
  ])('refuses %j', (yaml, expected) => {
    const r = parseConfig(page(yaml));
    expect(!r.ok && formatProblems(r.problems)).toBe(expected);
  });
});
