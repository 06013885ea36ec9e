/**
 * Times and durations as people read them. Pure, so the server's HTML and the
 * browser's live updates (src/client/app.ts) say the same thing the same way.
 */

/** `2025-01-31 14:05:09 UTC`, or the text itself when it is no date. */
export function utcText(at: string): string {
  const d = new Date(at);
  return Number.isNaN(d.getTime()) ? at : d.toISOString().replace('T', ' ').slice(0, 19) + ' UTC';
}

/** What a local time shows: date, hours and minutes, and the zone (Intl refuses dateStyle with timeZoneName). */
export const LOCAL_PARTS = { year: 'numeric', month: 'short', day: 'numeric', hour: '2-digit', minute: '2-digit', timeZoneName: 'short' } as const;

/**
 * A moment in the reader's own zone and language, with the zone named
 * (`26 Nov 2026, 03:00 CET`); the browser calls it, the server's text is UTC.
 */
export function localText(at: string, locale?: string, timeZone?: string): string {
  const d = new Date(at);
  if (Number.isNaN(d.getTime())) return at;
  return new Intl.DateTimeFormat(locale, { ...LOCAL_PARTS, timeZone }).format(d);
}

const tenths = new Map<string, Intl.NumberFormat>();

/** A number with one decimal, in the language's own way (`2.5`, `2,5`); one formatter per language, kept. */
export function decimalText(n: number, lang = 'en'): string {
  let format = tenths.get(lang);
  if (!format) tenths.set(lang, (format = new Intl.NumberFormat(lang, { minimumFractionDigits: 1, maximumFractionDigits: 1, useGrouping: false })));
  return format.format(n);
}

/**
 * `2.5 s`, `42 s`, `12 min 5 s`, `3 h 4 min`. A tenth of a second only under
 * ten seconds, and only when there is one: a ticking counter passes whole seconds.
 * The symbols are the same in every language; the decimal separator is the language's.
 */
export function durationText(seconds: number, lang = 'en'): string {
  const s = Math.max(0, seconds);
  if (s < 10) return `${Number.isInteger(s) ? s : decimalText(s, lang)} s`;
  const whole = Math.round(s);
  if (whole < 60) return `${whole} s`;
  const minutes = Math.floor(whole / 60);
  if (minutes < 60) return `${minutes} min ${whole % 60} s`;
  return `${Math.floor(minutes / 60)} h ${minutes % 60} min`;
}

/** Seconds from start to finish, once both are known. */
export function runSeconds(run: { startedAt: string | null; finishedAt: string | null }): number | undefined {
  return run.startedAt && run.finishedAt ? (Date.parse(run.finishedAt) - Date.parse(run.startedAt)) / 1000 : undefined;
}

export interface RunTimes {
  started_at: string | null;
  finished_at: string | null;
}

/** The words around a run's duration (`client.took`, `client.runningFor` in the catalogues). */
export type DurationWords = (phrase: 'took' | 'runningFor', duration: string) => string;
const ENGLISH: DurationWords = (phrase, duration) => `${phrase === 'took' ? 'took' : 'running for'} ${duration}`;

/**
 * How long a run took or has been running, as of `now` (milliseconds on the
 * server's clock); undefined for a run that never started. The server and the
 * browser pass the same catalogue words, so a live page and a reload agree.
 */
export function runDurationText(run: RunTimes, now: number, words: DurationWords = ENGLISH, lang = 'en'): string | undefined {
  if (!run.started_at) return undefined;
  const started = Date.parse(run.started_at);
  if (run.finished_at) return words('took', durationText((Date.parse(run.finished_at) - started) / 1000, lang));
  return words('runningFor', durationText(Math.floor((now - started) / 1000), lang));
}

const sizes = new Map<string, Intl.NumberFormat[]>();

/** A file's size in the reader's language: "812 byte", "4.2 kB", "16 MB" (decimal units, as file managers show them). */
export function fileSize(bytes: number, lang: string): string {
  let formats = sizes.get(lang);
  if (!formats) {
    formats = (['byte', 'kilobyte', 'megabyte', 'gigabyte'] as const).map((unit) => new Intl.NumberFormat(lang, { style: 'unit', unit, maximumFractionDigits: unit === 'byte' ? 0 : 1 }));
    sizes.set(lang, formats);
  }
  const step = Math.min(3, bytes < 1000 ? 0 : Math.floor(Math.log10(bytes) / 3));
  return formats[step]!.format(bytes / 1000 ** step);
}
