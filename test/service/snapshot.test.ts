/**
 * The static snapshot, in process on a real libSQL file and the example
 * config (plus one page for admins only): values as saved, escaped; a
 * secret's value in no file at all, not even a report its script wrote it
 * into; every link relative; restricted pages left out unless asked; the
 * folder replaced only when it holds an earlier snapshot; the database
 * never migrated by it.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { PageConfig } from '../../src/core/config/schema.ts';
import { openDatabase } from '../../src/server/db.ts';
import { saveValues } from '../../src/server/history.ts';
import { finishExternalRun } from '../../src/server/runs/external.ts';
import { startExternalRun } from '../../src/server/runs/service.ts';
import { readSettings } from '../../src/server/settings.ts';
import { MARKER, writeSnapshot } from '../../src/server/snapshot/index.ts';
import { esc, html, raw } from '../../src/server/snapshot/html.ts';
import { reportFileText } from '../../src/server/snapshot/report-file.ts';
import { historyHtml } from '../../src/server/snapshot/render-page.ts';
import { translator } from '../../src/core/i18n.ts';
import { openReadOnly } from '../../src/server/snapshot/read-only.ts';
import { maskKnownSecrets } from '../../src/server/snapshot/secrets.ts';
import { EXAMPLE_CONFIG, ROOT } from '../helpers/server.ts';
import { localApp, type LocalApp } from '../helpers/in-process.ts';

const SECRET = 'tok-Secr3t-value-9f2c';
const HOSTILE = '<script>alert("x")</script> & \'q\'';
const CONFIG = `${EXAMPLE_CONFIG}
  - slug: "admins-only"
    title: "Admins only"
    access: {view: admin}
    parameters:
     - {name: "zone", label: "Zone", type: "text", default: "hidden-zone-value"}
  - slug: "notes"
    title: "Notes <i>for all</i>"
    requires_login: false
    description: "See [this](javascript:alert(1)) <img src=x onerror=alert(2)> **bold**, [types](/page/field-types), [home](/), [runs](/runs), [secret page](/page/admins-only)"
    parameters:
     - {name: "motd", label: "Message <u>of</u> the day", type: "text", default: "hello"}
`;

let local: LocalApp;
let out: string;

/** Every file under `dir`, by path relative to it. */
function filesIn(dir: string): Map<string, string> {
  const files = new Map<string, string>();
  for (const e of readdirSync(dir, { recursive: true, withFileTypes: true })) {
    if (e.isFile()) files.set(join(e.parentPath, e.name).slice(dir.length + 1), readFileSync(join(e.parentPath, e.name), 'utf8'));
  }
  return files;
}

async function page(slug: string): Promise<PageConfig> {
  return (await local.app.config.page(slug))!;
}

const snapshot = (target: string, audience: 'public' | 'viewer' | 'all' = 'viewer') => writeSnapshot(local.app.settings, target, { audience, lang: 'en' });

beforeAll(async () => {
  local = await localApp(CONFIG);
  out = mkdtempSync(join(tmpdir(), 'switchyard-snapshot-'));
  const editor = (await local.as('editor')).user!;
  const { revision } = await local.app.config.current();
  const types = await page('field-types');
  const save = (values: Record<string, unknown>, reason?: string) =>
    saveValues(local.app.db, { page: types, values: values as never, configRevision: revision, user: editor, reason });
  await save({ regions: ['eu', 'asia'], dry_run: false, api_token: SECRET, notes: HOSTILE, run_on: '2026-03-31' }, 'first <b>go</b>');
  await save({ regions: ['us'], ticket: 'OPS-42' });

  const operator = await local.as('operator');
  const run = await startExternalRun(local.app, 'data-processing', 'start_processing', operator, 60_000);
  const body = `<!doctype html><html><body><h1>Processed 12 files</h1><p>token ${SECRET}</p><script>document.title = 'ran'</script></body></html>`;
  await finishExternalRun(local.app.db, local.app.runs, run.id, { state: 'succeeded', exitCode: 0, error: null, report: { type: 'html', body } });
  const backup = await startExternalRun(local.app, 'database-backup', 'run_backup', operator, 60_000);
  await finishExternalRun(local.app.db, local.app.runs, backup.id, { state: 'failed', exitCode: 3, error: null, report: { type: 'text', body: `copied <b>3</b> tables\nPGPASSWORD=${SECRET}\n` } });
  // A later run still going: the page shows the latest one that ended.
  await startExternalRun(local.app, 'database-backup', 'run_backup', operator, 60_000);
});

afterAll(() => {
  local.close();
  rmSync(out, { recursive: true, force: true });
});

describe('the HTML helpers', () => {
  it('escape every text put into a template, and keep only what is marked safe', () => {
    expect(esc(HOSTILE)).toBe('&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; &#39;q&#39;');
    expect(html`<p title="${HOSTILE}">${HOSTILE}${raw('<em>ok</em>')}${[1, '<', false, null]}</p>`.text).toBe(
      `<p title="${esc(HOSTILE)}">${esc(HOSTILE)}<em>ok</em>1&lt;</p>`,
    );
  });

  it('put the report policy before any of the report, after its doctype when it has one', () => {
    expect(reportFileText('html', '<!DOCTYPE html><p>x')).toMatch(/^<!DOCTYPE html><meta http-equiv="Content-Security-Policy" content="default-src 'none';[^"]*"><p>x$/);
    expect(reportFileText('html', '<p>x')).toMatch(/^<meta http-equiv="Content-Security-Policy"[^>]*><p>x$/);
    expect(reportFileText('text', '<p>x')).toBe('<p>x');
  });

  it("name a save's commit once it is published", async () => {
    const types = await page('field-types');
    const publication = { state: 'committed' as const, sha: '0123456789abcdef0123', url: null, error: null, attempts: 1, nextAttemptAt: 0 };
    const entry = { id: 7, author: 'ed', savedAt: '2026-01-02T03:04:05Z', configRevision: 'r', values: {}, changes: [], publication };
    const site = { site: (await local.app.config.current()).config, lang: 'en' as const, audience: 'viewer' as const, leftOut: 0, created: '2026-01-02T03:04:06Z', pages: [] };
    const text = historyHtml(site, { page: types, current: { values: {}, revision: 7 }, history: { entries: [entry], more: false }, yaml: '', buttons: [] }, translator('en'));
    expect(text).toContain('Committed <code>0123456789ab</code>');
    expect(text).toContain('By ed at 2026-01-02 03:04:05 UTC');
  });

  it('mask saved secrets in a text, longest first', () => {
    expect(maskKnownSecrets('a abcdef b abcd', ['abcdef', 'abcd'])).toBe('a (set) b (set)');
  });
});

describe('a snapshot', () => {
  let files: Map<string, string>;
  beforeAll(async () => {
    const r = await snapshot(join(out, 'site'));
    expect(r).toMatchObject({ pages: 5, leftOut: 1 });
    files = filesIn(join(out, 'site'));
  });

  it('has an index, and for each page its values, history and export, and a report beside it', () => {
    for (const f of ['index.html', 'style.css', MARKER, 'field-types/index.html', 'field-types/history.html', 'field-types/field-types.yaml', 'data-processing/start_processing.report.html']) {
      expect(files.has(f), f).toBe(true);
    }
    const index = files.get('index.html')!;
    expect(index).toContain('<a href="field-types/index.html">Examples of every field type</a>');
    expect(index).toContain('1 page is not in this snapshot: only some roles may see it.');
  });

  it('shows the current values in their types, escaped', () => {
    const types = files.get('field-types/index.html')!;
    expect(types).toMatch(/data-parameter="regions"><ul><li>us<\/li><\/ul>/);
    expect(types).toMatch(/data-parameter="dry_run">off/);
    expect(types).toMatch(/data-parameter="run_on"><time datetime="2026-03-31">2026-03-31<\/time>/);
    expect(types).toMatch(/data-parameter="api_token">set/);
    expect(types).toContain(`<pre>${esc(HOSTILE)}</pre>`);
    expect(types).toContain('Last saved by editor-1');
  });

  it('has each save in the history with what it changed, secrets only as set', () => {
    const history = files.get('field-types/history.html')!;
    expect(history).toContain('data-version="1"');
    expect(history).toMatch(/data-change="regions">.*<span class="value-old">eu<\/span>.*<span class="value-new">eu, asia<\/span>/);
    expect(history).toMatch(/data-change="api_token">.*secret set/);
    expect(history).toContain(esc('first <b>go</b>'));
  });

  it('exports the values as the app does, without the secret', () => {
    const yaml = files.get('field-types/field-types.yaml')!;
    expect(yaml).toContain('regions:\n  - us\n');
    expect(yaml).toContain('ticket: OPS-42');
    expect(yaml).not.toContain('api_token');
  });

  it('shows the latest finished run and its report in a sandboxed frame, the report under its policy', () => {
    const processing = files.get('data-processing/index.html')!;
    expect(processing).toMatch(/data-state="succeeded"/);
    expect(processing).toMatch(/Exit code: <span class="mono">0<\/span>/);
    expect(processing).toMatch(/<iframe class="report" sandbox src="start_processing.report.html" title="Report of run 1">/);
    expect(files.get('data-processing/start_processing.report.html')).toMatch(/^<!doctype html><meta http-equiv="Content-Security-Policy" content="default-src 'none';/);
  });

  it('shows a text report in the page, escaped, and writes it beside the page, the secret in it masked', () => {
    const backup = files.get('database-backup/index.html')!;
    expect(backup).toMatch(/data-state="failed"/);
    expect(backup).toContain('Run 2');
    expect(backup).toContain('<pre data-report>copied &lt;b&gt;3&lt;/b&gt; tables\nPGPASSWORD=(set)\n</pre>');
    expect(files.get('database-backup/run_backup.report.txt')).toBe('copied <b>3</b> tables\nPGPASSWORD=(set)\n');
  });

  it('puts the config text and its Markdown through the same escaping and sanitiser as the app', () => {
    const notes = files.get('notes/index.html')!;
    expect(notes).toContain('<h1>Notes &lt;i&gt;for all&lt;/i&gt;</h1>');
    expect(notes).toContain('Message &lt;u&gt;of&lt;/u&gt; the day');
    expect(notes).toContain('<strong>bold</strong>');
    // Shown as text, never as markup: no image element, no javascript: link.
    expect(notes).toContain('&lt;img src=x onerror=alert(2)&gt;');
    expect(notes).not.toMatch(/<img|href="javascript:/);
    // Links to the app's own pages lead to the snapshot's files; to what it does not have, nowhere.
    expect(notes).toContain('<a href="../field-types/index.html" rel="noopener noreferrer">types</a>');
    expect(notes).toContain('<a href="../index.html" rel="noopener noreferrer">home</a>');
    expect(notes).toContain('<a rel="noopener noreferrer">runs</a>');
    expect(notes).toContain('<a rel="noopener noreferrer">secret page</a>');
  });

  it('holds no secret value in any file, and no script in its own pages', () => {
    for (const [name, text] of files) {
      expect(text.includes(SECRET), name).toBe(false);
      if (name.endsWith('.html') && !name.includes('.report.')) expect(text, name).not.toMatch(/<script/i);
    }
  });

  it('links only relatively: no address from the root, none to another host', () => {
    for (const [name, text] of files) {
      if (!name.endsWith('.html') || name.includes('.report.')) continue;
      const targets = [...text.matchAll(/\b(?:href|src)="([^"]*)"/g)].map((m) => m[1]!);
      expect(targets.length, name).toBeGreaterThan(0);
      for (const target of targets) expect(target, `${name}: ${target}`).toMatch(/^(?!\/)(?![a-z]+:)/i);
    }
  });

  it('leaves out the pages narrowed to higher roles, unless asked for all', async () => {
    expect([...files.keys()].some((f) => f.startsWith('admins-only/'))).toBe(false);
    expect([...files.values()].some((text) => text.includes('hidden-zone-value'))).toBe(false);
    await snapshot(join(out, 'all'), 'all');
    expect(readFileSync(join(out, 'all', 'admins-only', 'index.html'), 'utf8')).toContain('hidden-zone-value');
    const pub = await snapshot(join(out, 'public'), 'public');
    expect(pub).toMatchObject({ pages: 1, leftOut: 5 });
    expect(readdirSync(join(out, 'public')).sort()).toEqual([MARKER, 'index.html', 'notes', 'style.css']);
    expect(readFileSync(join(out, 'public', 'index.html'), 'utf8')).toContain('5 pages are not in this snapshot: only people who log in may see them.');
  });
});

describe('the folder', () => {
  it('replaces an earlier snapshot, and refuses a folder that holds anything else, leaving it as it was', async () => {
    const target = join(out, 'again');
    await snapshot(target);
    writeFileSync(join(target, 'stale.txt'), 'from before');
    await snapshot(target);
    expect(existsSync(join(target, 'stale.txt'))).toBe(false);
    expect(existsSync(join(target, 'index.html'))).toBe(true);

    const other = join(out, 'other');
    mkdirSync(other);
    writeFileSync(join(other, 'notes.txt'), 'mine');
    await expect(snapshot(other)).rejects.toThrow(/is not empty and holds no earlier snapshot/);
    // The command says it in one line, with exit code 1.
    const env = { ...process.env, SWITCHYARD_CONFIG: local.app.settings.configPath, SWITCHYARD_DATA_DIR: local.app.settings.dataDir };
    const cli = spawnSync(process.execPath, ['src/cli/snapshot.ts', other], { cwd: ROOT, env, encoding: 'utf8' });
    expect(cli.status).toBe(1);
    expect(cli.stderr).toMatch(/^Error: .*other is not empty and holds no earlier snapshot \(no \.switchyard-snapshot file\); choose an empty or new folder, so that nothing else in it is replaced\n$/);
    expect(readdirSync(other)).toEqual(['notes.txt']);
    expect(readdirSync(out).filter((f) => f.startsWith('.'))).toEqual([]);
  });

  it('reads through a connection on which SQLite refuses every write', async () => {
    const db = openReadOnly(local.app.settings);
    try {
      expect(Number((await db.reads.execute('SELECT count(*) AS n FROM changes')).rows[0]!.n)).toBe(2);
      await expect(db.reads.execute("DELETE FROM changes")).rejects.toThrow(/readonly|read-only|query_only/i);
    } finally {
      db.close();
    }
    expect(Number((await local.app.db.execute('SELECT count(*) AS n FROM changes')).rows[0]!.n)).toBe(2);
  });

  it('refuses a database this version would have to migrate, and does not migrate it', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'switchyard-snapshot-db-'));
    try {
      const dbFile = join(dir, 'old.db');
      const db = await openDatabase(`file:${dbFile}`);
      await db.write('CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL)');
      await db.write("INSERT INTO schema_migrations VALUES (1, 'initial', '2026-01-01')");
      db.close();
      const settings = { ...readSettings({ SWITCHYARD_CONFIG: local.app.settings.configPath }), dbUrl: `file:${dbFile}` };
      await expect(writeSnapshot(settings, join(dir, 'out'), { audience: 'viewer', lang: 'en' })).rejects.toThrow(/is at schema 1 and this Switchyard expects \d+: start the app once/);
      const check = await openDatabase(`file:${dbFile}`);
      expect((await check.execute('SELECT count(*) AS n FROM schema_migrations')).rows[0]!.n).toBe(1);
      check.close();
      expect(existsSync(join(dir, 'out'))).toBe(false);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
