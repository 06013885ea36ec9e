/**
 * Backup and restore on real libSQL files: what a snapshot holds, what a
 * restore puts back and keeps aside, and every refusal, checked with the
 * current database left as it was.
 */
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import { join } from 'node:path';
import { createClient } from '@libsql/client';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { backupDatabase, KNOWN_SCHEMA, manifestPath, restoreDatabase, verifyBackup, type Manifest } from '../../src/server/backup.ts';
import { startInstance } from '../../src/server/instances.ts';
import { recordSave } from '../../src/server/save.ts';
import { dumpDatabase } from '../helpers/db-dump.ts';
import { localApp, type LocalApp } from '../helpers/in-process.ts';

let local: LocalApp;
let dbFile: string;
beforeEach(async () => {
  local = await localApp();
  dbFile = join(local.dir, 'data', 'switchyard.db');
});
afterEach(() => local.close());

const settings = () => local.app.settings;

async function save(version: string) {
  const page = (await local.app.config.current()).config.pages[0]!;
  const editor = await local.as('editor');
  const revision = Number((await local.app.db.execute("SELECT coalesce(max(id), 0) AS r FROM changes WHERE page_slug = 'toplevel'")).rows[0]!.r);
  await recordSave(local.app, page, { version, instance_name: 'main', debug_mode: false, logging_level: 'info' }, revision, { user: editor.user!, ip: '192.0.2.1' });
}

/** Rewrites a backup's manifest with `change` and a checksum that matches again (a manifest made by hand). */
function editManifest(file: string, change: Partial<Manifest>) {
  const m = JSON.parse(readFileSync(manifestPath(file), 'utf8')) as Manifest;
  writeFileSync(manifestPath(file), JSON.stringify({ ...m, ...change }));
}

const asideFiles = () => readdirSync(join(local.dir, 'data')).filter((f) => f.includes('before-restore'));

describe('backup', () => {
  it('writes a snapshot and a manifest that describes it', async () => {
    await save('1.1');
    const r = await backupDatabase(settings(), { now: new Date('2026-01-02T03:04:05.678Z') });
    expect(r.file).toBe(join(local.dir, 'data', 'backups', 'switchyard-20260102T030405Z.db'));
    const m = JSON.parse(readFileSync(manifestPath(r.file), 'utf8')) as Manifest;
    expect(m).toMatchObject({ format: 'switchyard-backup/1', switchyard_version: JSON.parse(readFileSync('package.json', 'utf8')).version, schema_version: KNOWN_SCHEMA, created: '2026-01-02T03:04:05.678Z', gzip: false, bytes: readFileSync(r.file).length });
    expect(m.tables).toMatchObject({ users: 1, changes: 1, config_history: 4, audit_log: 1 });
    expect(await dumpDatabase(r.file)).toEqual(await dumpDatabase(dbFile, ['app_instances']).then((d) => ({ ...d, app_instances: [] })));
    expect(readdirSync(join(local.dir, 'data', 'backups'))).toEqual(['switchyard-20260102T030405Z.db', 'switchyard-20260102T030405Z.db.manifest.json']);
  });

  it('leaves out the rows of the app processes serving the source', async () => {
    const me = await startInstance(local.app.db);
    expect((await dumpDatabase(dbFile)).app_instances).toHaveLength(1);
    const r = await backupDatabase(settings());
    expect((await dumpDatabase(r.file)).app_instances).toEqual([]);
    await me.stop();
  });

  it('refuses to overwrite an existing file, and leaves it as it was', async () => {
    const target = join(local.dir, 'taken.db');
    writeFileSync(target, 'precious');
    await expect(backupDatabase(settings(), { target })).rejects.toThrow(`${target} already exists; backups never overwrite a file`);
    expect(readFileSync(target, 'utf8')).toBe('precious');
    expect(readdirSync(local.dir).filter((f) => f.includes('partial'))).toEqual([]);
  });

  it('refuses a database that is not a local file, and a data folder without a database', async () => {
    await expect(backupDatabase({ ...settings(), dbUrl: 'libsql://db.example.org' })).rejects.toThrow('the database is not a local file (SWITCHYARD_DB_URL is libsql://db.example.org)');
    await expect(backupDatabase({ ...settings(), dbUrl: `file:${join(local.dir, 'elsewhere.db')}` })).rejects.toThrow(`there is no database at ${join(local.dir, 'elsewhere.db')} on this host`);
    expect(existsSync(join(local.dir, 'elsewhere.db'))).toBe(false);
  });
});

describe('restore', () => {
  it.each(['snap.db', 'snap.db.gz'])('puts %s back as it was and keeps the replaced database aside', async (name) => {
    await save('1.1');
    const target = join(local.dir, name);
    await backupDatabase(settings(), { target });
    const expected = await dumpDatabase(target.endsWith('.gz') ? unpacked(target) : target);
    await save('1.2');
    const before = await dumpDatabase(dbFile);
    local.app.db.close();
    const r = await restoreDatabase(settings(), target, { now: new Date('2026-01-02T03:04:05Z') });
    expect(r.aside).toBe(`${dbFile}.before-restore-20260102T030405Z`);
    expect(r.migrated).toEqual([]);
    expect(await dumpDatabase(dbFile)).toEqual(expected);
    // Nothing lost: the replaced database, with the later save, opens on its own.
    expect(await dumpDatabase(r.aside!)).toEqual(before);
  });

  it('migrates a snapshot of an older schema', async () => {
    const target = join(local.dir, 'old.db');
    await backupDatabase(settings(), { target });
    const snap = createClient({ url: `file:${target}` });
    await snap.execute('DROP TABLE app_instances');
    await snap.execute('DELETE FROM schema_migrations WHERE version = 9');
    snap.close();
    editManifest(target, await fresh(target, { schema_version: 7 }));
    local.app.db.close();
    expect((await restoreDatabase(settings(), target)).migrated).toEqual([9]);
  });

  it('refuses a snapshot whose bytes do not match the manifest, and touches nothing', async () => {
    const target = join(local.dir, 'snap.db');
    await backupDatabase(settings(), { target });
    const bytes = readFileSync(target);
    bytes[bytes.length - 100]! ^= 0xff;
    writeFileSync(target, bytes);
    await expect(restoreDatabase(settings(), target)).rejects.toThrow(`${target} does not match its manifest`);
    expect(asideFiles()).toEqual([]);
  });

  it('refuses a snapshot without its manifest, or with one that is not a manifest', async () => {
    const target = join(local.dir, 'snap.db');
    await backupDatabase(settings(), { target });
    writeFileSync(manifestPath(target), '');
    await expect(verifyBackup(target)).rejects.toThrow(`${manifestPath(target)} is not valid JSON`);
    writeFileSync(manifestPath(target), '{"format": "other"}');
    await expect(verifyBackup(target)).rejects.toThrow(`${manifestPath(target)} is not a Switchyard backup manifest (format "other", expected "switchyard-backup/1")`);
    rmSync(manifestPath(target));
    await expect(restoreDatabase(settings(), target)).rejects.toThrow(`${manifestPath(target)} is missing: without its manifest the snapshot's checksum cannot be checked`);
    expect(asideFiles()).toEqual([]);
  });

  it('refuses a snapshot of a newer schema, by its manifest or by its contents', async () => {
    const target = join(local.dir, 'snap.db');
    await backupDatabase(settings(), { target });
    editManifest(target, { schema_version: KNOWN_SCHEMA + 5 });
    await expect(restoreDatabase(settings(), target)).rejects.toThrow(`the backup ${target} (its manifest) is at schema ${KNOWN_SCHEMA + 5} (migration ${KNOWN_SCHEMA + 5} unknown here) but this Switchyard knows schemas up to ${KNOWN_SCHEMA}`);
    // A manifest that says otherwise does not hide what the file holds.
    const snap = createClient({ url: `file:${target}` });
    await snap.execute({ sql: "INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, 'later', ''), (?, 'later still', '')", args: [KNOWN_SCHEMA + 1, KNOWN_SCHEMA + 2] });
    snap.close();
    editManifest(target, await fresh(target, { schema_version: KNOWN_SCHEMA }));
    await expect(restoreDatabase(settings(), target)).rejects.toThrow(`the database in ${target} is at schema ${KNOWN_SCHEMA + 2} (migrations ${KNOWN_SCHEMA + 1}, ${KNOWN_SCHEMA + 2} unknown here)`);
    expect(asideFiles()).toEqual([]);
    expect(readdirSync(join(local.dir, 'data')).filter((f) => f.includes('restoring'))).toEqual([]);
  });

  it('refuses while an app process serves the database, and not once its row is stale', async () => {
    const target = join(local.dir, 'snap.db');
    await backupDatabase(settings(), { target });
    const me = await startInstance(local.app.db);
    await expect(restoreDatabase(settings(), target)).rejects.toThrow(new RegExp(`^Switchyard is serving this database: pid ${process.pid} on \\S+ \\(seen 0 s ago\\)\\. Stop the app first \\(systemctl stop switchyard, or Ctrl-C on npm start\\)`));
    await me.stop();
    // A process killed without a word: its row was last renewed 20 s ago.
    await local.app.db.write({ sql: "INSERT INTO app_instances (id, host, pid, started_at, seen_at) VALUES ('gone', 'h', 42, 0, ?)", args: [Date.now() - 20_000] });
    local.app.db.close();
    expect((await restoreDatabase(settings(), target)).aside).toBeDefined();
  });

  it('replaces a current database that cannot be read, keeping it aside and saying it could not check for a serving app', async () => {
    const target = join(local.dir, 'snap.db');
    await backupDatabase(settings(), { target });
    local.app.db.close();
    for (const side of ['-wal', '-shm']) rmSync(dbFile + side, { force: true });
    writeFileSync(dbFile, 'this is not a database, it was overwritten by something');
    const r = await restoreDatabase(settings(), target);
    expect(r.warnings).toEqual([expect.stringMatching(/^the current database could not be read \(.*\), so whether an app serves it was not checked: make sure the app is stopped/)]);
    expect(readFileSync(r.aside!, 'utf8')).toBe('this is not a database, it was overwritten by something');
    expect((await dumpDatabase(dbFile)).users).toEqual((await dumpDatabase(target)).users);
  });

  it('refuses a database that is not a local file', async () => {
    const target = join(local.dir, 'snap.db');
    await backupDatabase(settings(), { target });
    await expect(restoreDatabase({ ...settings(), dbUrl: 'http://127.0.0.1:8080' }, target)).rejects.toThrow('the database is not a local file (SWITCHYARD_DB_URL is http://127.0.0.1:8080): back up and restore a libSQL server with its own tools');
  });

  it('restores onto a host with no database yet', async () => {
    const target = join(local.dir, 'snap.db');
    await backupDatabase(settings(), { target });
    const other = { ...settings(), dbUrl: `file:${join(local.dir, 'new', 'switchyard.db')}` };
    const r = await restoreDatabase(other, target);
    expect(r.aside).toBeUndefined();
    expect((await dumpDatabase(join(local.dir, 'new', 'switchyard.db'))).users).toEqual((await dumpDatabase(target)).users);
  });
});

/** The manifest fields for a snapshot changed after it was made, with `change` on top. */
async function fresh(file: string, change: Partial<Manifest>): Promise<Partial<Manifest>> {
  const bytes = readFileSync(file);
  return { sha256: createHash('sha256').update(bytes).digest('hex'), bytes: bytes.length, ...change };
}

/** A gzip snapshot unpacked to a file of its own, to read what it holds. */
function unpacked(gz: string): string {
  const out = `${gz}.unpacked`;
  writeFileSync(out, gunzipSync(readFileSync(gz)));
  return out;
}
