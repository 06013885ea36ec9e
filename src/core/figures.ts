/**
 * A figure a run gave (SWITCHYARD_METRICS_FILE), as people read it: in the
 * unit its button declares, in the reader's language. Shared by the run page,
 * the dashboard's charts and their tables, server and browser alike.
 */
import { durationText, fileSize } from './time.ts';

export type FigureUnit = 'bytes' | 'seconds' | 'count' | 'number';

/** The figures a button charts (its metrics:), by name: how the run page words each. */
export type ChartedFigures = Record<string, { label: string; unit: FigureUnit }>;

const plain = new Map<string, Intl.NumberFormat>();

function numberIn(lang: string, digits: number): Intl.NumberFormat {
  const key = `${lang}/${digits}`;
  let f = plain.get(key);
  if (!f) plain.set(key, (f = new Intl.NumberFormat(lang, { maximumFractionDigits: digits })));
  return f;
}

export function figureText(value: number, unit: FigureUnit, lang: string): string {
  if (unit === 'bytes') return fileSize(value, lang);
  if (unit === 'seconds') return durationText(value, lang);
  return numberIn(lang, unit === 'count' ? 0 : 3).format(value);
}
