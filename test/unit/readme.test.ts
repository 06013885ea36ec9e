/**
 * The README's table of button keys says what the schema accepts: each path
 * names the folder its value starts with, and its example loads.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { formatProblems, parseConfig } from '../../src/core/config/load.ts';

const README = readFileSync('README.md', 'utf8');
const PATH_KEYS = ['script_path', 'status_file', 'report_path'] as const;
type PathKey = (typeof PATH_KEYS)[number];

/** The folder a key's value must start with and the example, as the README's row gives them. */
function documented(key: PathKey): { prefix: string; example: string } {
  const row = README.split('\n').find((l) => l.startsWith(`| \`${key}\` |`));
  const m = row?.match(/starts with `([^`]+\/)`, e\.g\. `([^`]+)`/);
  if (!m) throw new Error(`the README's row for ${key} names no folder and example: ${row}`);
  return { prefix: m[1]!, example: m[2]! };
}

function configWith(paths: Record<PathKey, string>): string {
  return `toplevel_title: "T"
pages:
  - slug: "p"
    title: "P"
    buttons:
      - name: "b"
        label: "B"
${PATH_KEYS.map((k) => `        ${k}: ${JSON.stringify(paths[k])}`).join('\n')}
`;
}

const examples = () => Object.fromEntries(PATH_KEYS.map((k) => [k, documented(k).example])) as Record<PathKey, string>;

describe("the README's button paths", () => {
  it('give examples that start with their folder and load', () => {
    for (const key of PATH_KEYS) expect(documented(key).example.startsWith(documented(key).prefix), key).toBe(true);
    const result = parseConfig(configWith(examples()));
    if (!result.ok) throw new Error(formatProblems(result.problems));
  });

  it.each(PATH_KEYS)('say that the folder is part of %s: the value without it is refused', (key) => {
    const { prefix, example } = documented(key);
    const result = parseConfig(configWith({ ...examples(), [key]: example.slice(prefix.length) }));
    expect(result.ok).toBe(false);
  });

  it('match the example config.yaml', () => {
    const result = parseConfig(readFileSync('config.yaml', 'utf8'));
    if (!result.ok) throw new Error(formatProblems(result.problems));
    const buttons = result.config.pages.flatMap((p) => p.buttons);
    expect(buttons.length).toBeGreaterThan(0);
    for (const b of buttons) for (const key of PATH_KEYS) expect(b[key].startsWith(documented(key).prefix), `${b.name}.${key}`).toBe(true);
  });
});
