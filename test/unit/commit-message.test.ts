import { describe, expect, it } from 'vitest';
import { commitMessage, saveOf } from '../../src/core/commit-message.ts';

describe('commitMessage', () => {
  it('names a single change in the subject', () => {
    expect(commitMessage('data-processing', [{ name: 'inputs_directory', label: 'Inputs', before: '/mnt/a', after: '/mnt/b' }], 12, 'alice')).toBe(
      'data-processing: inputs_directory /mnt/a → /mnt/b\n\n- inputs_directory /mnt/a → /mnt/b\n\nSaved by alice in Switchyard.\n\nSwitchyard-Save: 12\n',
    );
  });

  it('lists names when several change, and counts when they do not fit', () => {
    const changes = [
      { name: 'version', label: 'V', before: '1.0', after: '2.0' },
      { name: 'debug_mode', label: 'D', before: false, after: true },
    ];
    expect(commitMessage('toplevel', changes, 3, 'bob').split('\n')[0]).toBe('toplevel: version, debug_mode');
    const many = Array.from({ length: 12 }, (_, i) => ({ name: `parameter_number_${i}`, label: '', before: i, after: i + 1 }));
    expect(commitMessage('toplevel', many, 4, 'bob').split('\n')[0]).toBe('toplevel: 12 values changed');
  });

  it('keeps a long value out of the subject, and line breaks out of everything', () => {
    const message = commitMessage('p', [{ name: 'note', label: '', before: '', after: `${'x'.repeat(200)}\nSwitchyard-Save: 99` }], 1, 'a');
    expect(message.split('\n')[0]).toBe('p: note');
    expect(message.match(/^Switchyard-Save: .*$/gm)).toEqual(['Switchyard-Save: 1']);
  });

  it("puts the save's reason first in the body, on one line, and a reason cannot pass for the trailer", () => {
    const change = [{ name: 'inputs_directory', label: 'Inputs', before: '/mnt/a', after: '/mnt/b' }];
    expect(commitMessage('dp', change, 12, 'alice', 'New disk for the\nholiday peak')).toBe(
      'dp: inputs_directory /mnt/a → /mnt/b\n\nNew disk for the holiday peak\n\n- inputs_directory /mnt/a → /mnt/b\n\nSaved by alice in Switchyard.\n\nSwitchyard-Save: 12\n',
    );
    expect(saveOf(commitMessage('dp', change, 12, 'alice', 'Switchyard-Save: 99'))).toBe(12);
  });
});
