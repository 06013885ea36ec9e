/**
 * The words the browser writes itself (src/client: live run states, the theme
 * switch, durations, the chart), in the page's language. The layout prints
 * them once as `<script type="application/json" id="client-words">`, which a
 * strict CSP allows since it is data, never run; the browser reads it with
 * JSON.parse. Placeholders stay `{{name}}` for the browser to fill.
 */
import { CATALOGUES, translator } from './i18n.ts';
import type { Language } from './languages.ts';

export interface ClientWords {
  lightTheme: string;
  darkTheme: string;
  took: string;
  runningFor: string;
  chartDuration: string;
  chartFailed: string;
  copied: string;
  selected: string;
  /** A run state as the badge says it, the same words as `runs.states.*`. */
  states: Record<string, string>;
}

export function clientWords(lang: Language): ClientWords {
  const t = translator(lang);
  const raw = { skipInterpolation: true };
  return {
    lightTheme: t('client.lightTheme'),
    darkTheme: t('client.darkTheme'),
    took: t('client.took', raw),
    runningFor: t('client.runningFor', raw),
    chartDuration: t('client.chartDuration'),
    chartFailed: t('client.chartFailed'),
    copied: t('client.copied'),
    selected: t('client.selected'),
    states: (CATALOGUES[lang].runs as { states: Record<string, string> }).states,
  };
}

const printed = new Map<Language, string>();

/** clientWords as the script element's text, made once per language: `<` escaped so no text can close the element. */
export function clientWordsJson(lang: Language): string {
  let json = printed.get(lang);
  if (json === undefined) printed.set(lang, (json = JSON.stringify(clientWords(lang)).replace(/</g, '\\u003c')));
  return json;
}
