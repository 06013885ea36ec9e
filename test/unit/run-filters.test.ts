/** The runs list's query string and its CSV cells, as pure functions. */
import { describe, expect, it } from 'vitest';
import { csvField } from '../../src/core/csv.ts';
import { momentFrom, runFilterFrom, runFilterQuery } from '../../src/web/run-http.ts';
import { ftsQuery } from '../../src/server/runs/read.ts';

describe('the runs list filters', () => {
  it('take days as UTC days, both included, and ISO moments as they are', () => {
    expect(momentFrom('2026-11-02')).toBe('2026-11-02T00:00:00.000Z');
    expect(momentFrom('2026-11-02', true)).toBe('2026-11-03T00:00:00.000Z');
    expect(momentFrom('2026-11-02T10:30:00+01:00', true)).toBe('2026-11-02T09:30:00.000Z');
    for (const bad of ['', 'yesterday', '2026-13-45', '1700000000', null]) expect(momentFrom(bad)).toBeUndefined();
  });

  it('read and write the same query string', () => {
    const f = runFilterFrom(new URLSearchParams('q=  disk full  &from=2026-11-01&to=2026-11-30&state=failed&page=jobs&before=9&bogus=1'));
    expect(f).toEqual({ page: 'jobs', button: undefined, user: undefined, state: 'failed', before: 9, q: 'disk full', from: '2026-11-01T00:00:00.000Z', to: '2026-12-01T00:00:00.000Z' });
    expect(runFilterFrom(runFilterQuery(f))).toEqual(f);
    expect(String(runFilterQuery({ page: 'jobs' }, { before: undefined }))).toBe('page=jobs');
  });

  it('make every word of a search a plain word for FTS5', () => {
    expect(ftsQuery('checksum mismatch')).toBe('"checksum" "mismatch"');
    expect(ftsQuery('a" OR NEAR(b*')).toBe('"a" "OR" "NEAR" "b"');
    expect(ftsQuery('*** --')).toBe('""');
  });
});

describe('CSV cells', () => {
  it('are quoted when they must be and never start a formula', () => {
    expect(csvField(null)).toBe('');
    expect(csvField(42)).toBe('42');
    expect(csvField(-3)).toBe('-3');
    expect(csvField('a,"b"\nc')).toBe('"a,""b""\nc"');
    expect(csvField('=HYPERLINK("x")')).toBe(`"'=HYPERLINK(""x"")"`);
    expect(csvField('@SUM(1)')).toBe("'@SUM(1)");
  });
});
