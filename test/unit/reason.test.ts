import { describe, expect, it } from 'vitest';
import { checkReason, REASON_MAX_LENGTH } from '../../src/core/reason.ts';
import { provenanceHeader } from '../../src/core/provenance.ts';

describe('checkReason', () => {
  it('takes a trimmed reason of a few lines, and none when empty unless required', () => {
    expect(checkReason('  Holiday peak \r\n  more disk  \r\n', false)).toEqual({ reason: 'Holiday peak\n  more disk' });
    expect(checkReason('', false)).toEqual({});
    expect(checkReason(undefined, false)).toEqual({});
    expect(checkReason(null, false)).toEqual({});
    expect(checkReason(' \n ', true)).toEqual({ error: 'Give a reason for this change: this page asks for one with every save.' });
    expect(checkReason('é'.repeat(REASON_MAX_LENGTH), true)).toEqual({ reason: 'é'.repeat(REASON_MAX_LENGTH) });
  });

  it('refuses what is not text, too long, too many lines, or hides text', () => {
    expect(checkReason(3, false)).toEqual({ error: 'A reason must be text.' });
    expect(checkReason('x'.repeat(REASON_MAX_LENGTH + 1), false)).toEqual({ error: 'A reason can have at most 500 characters.' });
    expect(checkReason('1\n2\n3\n4\n5\n6', false)).toEqual({ error: 'A reason can have at most 5 lines.' });
    for (const hidden of ['a\u0000b', 'a\tb', 'a\u202Eb', 'a\u2028b']) expect(checkReason(hidden, false)).toEqual({ error: 'A reason cannot contain control characters.' });
  });
});

describe('provenanceHeader', () => {
  const page = { slug: 'dp', title: 'Data\nProcessing' };
  it('names the page, the save, its commit once published, and who exported when', () => {
    expect(provenanceHeader({ page, revision: 7, savedBy: 'alice', savedAt: '2026-01-02T03:04:05.000Z', commit: 'abc123', asSaved: true, exported: { by: 'bob', at: '2026-01-03T00:00:00.000Z' } })).toBe(
      [
        'Switchyard values of page "Data Processing" (dp)',
        'revision: 7',
        'saved by: alice',
        'saved at: 2026-01-02T03:04:05.000Z',
        'commit: abc123',
        'exported by: bob',
        'exported at: 2026-01-03T00:00:00.000Z',
      ].join('\n'),
    );
  });

  it('says when the values are the defaults or differ from the save', () => {
    expect(provenanceHeader({ page, revision: 0, asSaved: true })).toBe('Switchyard values of page "Data Processing" (dp)\nrevision: none, never saved: the defaults');
    expect(provenanceHeader({ page, revision: 0, asSaved: false }).split('\n')[1]).toBe('revision: none, never saved: values as typed in the form, not saved');
    expect(provenanceHeader({ page, revision: 3, savedBy: 'a', savedAt: 't', asSaved: false }).split('\n')[1]).toBe('revision: 3 is the latest save; these values differ from it (edited in the form, not saved)');
  });
});
