/** The choices a run's file lists for an `options_from` input: cleaned and bounded like config.yaml's own. */
import { describe, expect, it } from 'vitest';
import { LISTED_MAX, listedOptions } from '../../src/core/listed-options.ts';
import { OPTIONS_FILE_NAME } from '../../src/core/config/schema.ts';
import { ARTIFACT_NAME } from '../../src/protocol/index.ts';

describe('choices a run lists', () => {
  it('reads one a line, trimmed, each once, skipping empty lines and control characters', () => {
    expect(listedOptions('archives.txt', 'b.tar.gz\r\n  a.tar.gz \n\nb.tar.gz\nbad\u0007bell\n')).toEqual(['b.tar.gz', 'a.tar.gz']);
  });

  it('reads a JSON list of strings from a .json file, and nothing from anything else there', () => {
    expect(listedOptions('jobs.json', '["gear.obj", 3, "bracket.stl", null, "gear.obj"]')).toEqual(['gear.obj', 'bracket.stl']);
    expect(listedOptions('jobs.json', '{"a": 1}')).toEqual([]);
    expect(listedOptions('jobs.json', 'not json')).toEqual([]);
  });

  it(`keeps choices of at most 200 characters, and at most ${LISTED_MAX} of them`, () => {
    expect(listedOptions('a.txt', `${'x'.repeat(201)}\n${'y'.repeat(200)}`)).toEqual(['y'.repeat(200)]);
    expect(listedOptions('a.txt', Array.from({ length: LISTED_MAX + 10 }, (_, i) => `c${i}`).join('\n'))).toHaveLength(LISTED_MAX);
  });

  it('names its file by the rule the runner keeps run files by', () => {
    expect(OPTIONS_FILE_NAME.source).toBe(ARTIFACT_NAME.source);
  });
});
