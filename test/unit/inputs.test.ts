/** Button inputs and runner labels in the pure core: the README's example, the two label rules, defaults. */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { formatProblems, parseConfig } from '../../src/core/config/load.ts';
import { RUNNER_LABEL as CONFIG_LABEL, RUNNER_LABELS_MAX as CONFIG_MAX } from '../../src/core/config/schema.ts';
import { inputDefaults } from '../../src/core/inputs.ts';
import { parseRunnerLabels, RUNNER_LABEL, RUNNER_LABELS_MAX } from '../../src/protocol/index.ts';

describe('button inputs', () => {
  it('the README example of a button with inputs and runs_on: is a valid button', () => {
    const readme = readFileSync('README.md', 'utf8');
    const example = /```yaml\n( +- name: "restore_table"[\s\S]*?)```/.exec(readme)![1]!;
    const result = parseConfig(`toplevel_title: T\npages:\n  - slug: db\n    title: DB\n    buttons:\n${example}`);
    if (!result.ok) throw new Error(formatProblems(result.problems));
    const button = result.config.pages[0]!.buttons[0]!;
    expect(button.runs_on).toEqual(['host=db-1']);
    // A required input without default has none: such a button may have no schedule.
    expect(inputDefaults(button)).toEqual({ table: null, as_of: 0 });
  });
});

describe('runner labels', () => {
  it('are checked by one rule in the config and on the wire', () => {
    expect(CONFIG_LABEL.source).toBe(RUNNER_LABEL.source);
    expect(CONFIG_MAX).toBe(RUNNER_LABELS_MAX);
  });

  it('are read from SWITCHYARD_RUNNER_LABELS, comma- or space-separated, once each', () => {
    expect(parseRunnerLabels(undefined)).toEqual({ labels: [] });
    expect(parseRunnerLabels(' host=db-1, gpu gpu,,zone:eu/1 ')).toEqual({ labels: ['host=db-1', 'gpu', 'zone:eu/1'] });
    expect(parseRunnerLabels('gpu,-x')).toEqual({ problem: expect.stringContaining('"-x" is not a runner label') });
    expect(parseRunnerLabels(Array.from({ length: 21 }, (_, i) => `l${i}`).join(','))).toEqual({ problem: 'at most 20 labels, got 21' });
  });
});
