/**
 * A secret is marked where its value is kept, so that it stays masked when
 * config.yaml later makes its parameter plain text or removes it: the form,
 * the history and everything built on them never show it in clear.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/core/config/load.ts';
import type { PageConfig, SiteConfig } from '../../src/core/config/schema.ts';
import { currentValues, markSecretValues, pageHistory, saveValues } from '../../src/server/history.ts';
import { localApp, type LocalApp } from '../helpers/in-process.ts';

const site = (token: string): SiteConfig => {
  const r = parseConfig(`toplevel_title: T\npages:\n  - slug: p\n    title: P\n    parameters:\n      - {name: mode, type: text}\n${token}`);
  if (!r.ok) throw new Error(r.problems.map((p) => p.message).join('; '));
  return r.config;
};
const asSecret = site('      - {name: token, type: secret}\n');
const asText = site('      - {name: token, type: text}\n');
const removed = site('');
const page = (s: SiteConfig): PageConfig => s.pages[0]!;

let local: LocalApp;
beforeEach(async () => {
  local = await localApp();
  const user = (await local.as('editor')).user!;
  const saved = await saveValues(local.app.db, { page: page(asSecret), values: { mode: 'fast', token: 'hunter2-Zq9xK' }, configRevision: 'r', user });
  expect(saved.status).toBe('saved');
});
afterEach(() => local.close());

describe('a secret saved, then no secret in config.yaml', () => {
  it('is still the secret\'s value while the parameter is a secret', async () => {
    expect((await currentValues(local.app.db, page(asSecret))).values.token).toBe('hunter2-Zq9xK');
  });

  it('is not the value of the text parameter that replaces it, nor shown in the history', async () => {
    const { values } = await currentValues(local.app.db, page(asText));
    expect(values).toEqual({ mode: 'fast', token: '' });
    expect(JSON.stringify((await pageHistory(local.app.db, page(asText))).entries)).not.toContain('hunter2');
    expect((await pageHistory(local.app.db, page(asText))).entries[0]!.values.token).toBe('(set)');
  });

  it('shows only "(set)" in the history once its parameter is removed', async () => {
    const { entries } = await pageHistory(local.app.db, page(removed));
    expect(entries[0]!.values).toEqual({ mode: 'fast', token: '(set)' });
  });

  it('marks values saved before secrets were marked, from the config at start', async () => {
    await local.app.db.execute('UPDATE config_history SET secret = 0');
    // Unmarked, a text parameter of the same name would show it: the reason for the mark.
    expect((await currentValues(local.app.db, page(asText))).values.token).toBe('hunter2-Zq9xK');
    expect(await markSecretValues(local.app.db, asSecret)).toBe(1);
    expect(await markSecretValues(local.app.db, asSecret)).toBe(0);
    expect((await currentValues(local.app.db, page(asText))).values.token).toBe('');
    expect((await currentValues(local.app.db, page(asSecret))).values.token).toBe('hunter2-Zq9xK');
  });
});

describe('comparing two versions', () => {
  it('tells a secret replaced by another from one left as it was, without showing either', async () => {
    const { compareVersions } = await import('../../src/server/pages/actions.ts');
    const user = (await local.as('editor')).user!;
    const save = async (values: Record<string, string>) => {
      const r = await saveValues(local.app.db, { page: page(asSecret), values, configRevision: 'r', user });
      if (r.status !== 'saved') throw new Error(r.status);
      return r.entry.id;
    };
    const first = (await pageHistory(local.app.db, page(asSecret))).entries[0]!.id;
    const modeOnly = await save({ mode: 'slow' });
    const replaced = await save({ token: 'another-Zq9xK' });
    const row = async (from: number, to: number) => (await compareVersions(local.app, page(asSecret), from, to)).rows.find((r) => r.name === 'token')!;
    expect(await row(first, modeOnly)).toMatchObject({ from: '(set)', to: '(set)', changed: false, replaced: false });
    expect(await row(modeOnly, replaced)).toMatchObject({ from: '(set)', to: '(set)', changed: true, replaced: true });
    expect(await row(0, first)).toMatchObject({ changed: true, replaced: false });
    expect(JSON.stringify(await compareVersions(local.app, page(asSecret), first, replaced))).not.toMatch(/hunter2|another-/);
  });
});
