/** A run's figures: the lines a script writes, the rule both sides check, and how people read them. */
import { describe, expect, it } from 'vitest';
import { METRIC_NAME, METRICS_MAX, parseMetrics } from '../../src/protocol/index.ts';
import { METRIC_NAME as CONFIG_METRIC_NAME, METRICS_MAX as CONFIG_METRICS_MAX } from '../../src/core/config/schema.ts';
import { figureText } from '../../src/core/figures.ts';

describe('figures a script writes', () => {
  it('reads one "name number" a line, the later line for a name winning, and names every other line', () => {
    const { metrics, refused } = parseMetrics('rows 10\narchive_bytes 52428800\n\nrows 249\nratio -0.25\nRows 3\nrows: 4\nempty\nsize 1e3\nspeed fast\nhuge 1e999\n  padded   7  \n');
    expect(metrics).toEqual({ rows: 249, archive_bytes: 52428800, ratio: -0.25, size: 1000, padded: 7 });
    expect(refused).toEqual(['Rows 3', 'rows: 4', 'empty', 'speed fast', 'huge 1e999']);
  });

  it(`keeps at most ${METRICS_MAX} names`, () => {
    const text = Array.from({ length: METRICS_MAX + 2 }, (_, i) => `m${i} ${i}`).join('\n');
    const { metrics, refused } = parseMetrics(`${text}\nm0 100`);
    expect(Object.keys(metrics)).toHaveLength(METRICS_MAX);
    expect(metrics.m0).toBe(100);
    expect(refused).toEqual([`m${METRICS_MAX} (past ${METRICS_MAX} metrics)`, `m${METRICS_MAX + 1} (past ${METRICS_MAX} metrics)`]);
  });

  it('is checked by one rule in config.yaml and on the runner', () => {
    expect(CONFIG_METRIC_NAME.source).toBe(METRIC_NAME.source);
    expect(CONFIG_METRICS_MAX).toBe(METRICS_MAX);
  });

  it('reads in its unit and the reader\'s language', () => {
    expect(figureText(52_428_800, 'bytes', 'en')).toBe('52.4 MB');
    expect(figureText(1536, 'bytes', 'fr')).toBe('1,5\u202fko');
    expect(figureText(812, 'bytes', 'en')).toBe('812 byte');
    expect(figureText(95, 'seconds', 'en')).toBe('1 min 35 s');
    expect(figureText(12345.6, 'count', 'de')).toBe('12.346');
    expect(figureText(0.12345, 'number', 'es')).toBe('0,123');
  });
});
