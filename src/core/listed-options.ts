/**
 * The choices a run's file lists, for a select input with `options_from`: a
 * JSON list of strings when the file is `.json`, else one choice a line.
 * Bounded and cleaned as config.yaml's own options are: no empty or repeated
 * choice, no control characters, at most 200 characters each and 500 in all,
 * so a file a script wrote can never make a dialog unusable.
 */
export const LISTED_MAX = 500;
const CHOICE_MAX = 200;

function fromJson(text: string): unknown[] {
  try {
    const data: unknown = JSON.parse(text);
    return Array.isArray(data) ? data : [];
  } catch {
    return [];
  }
}

export function listedOptions(file: string, text: string): string[] {
  const raw = file.toLowerCase().endsWith('.json') ? fromJson(text) : text.split('\n');
  const out = new Set<string>();
  for (const item of raw) {
    if (typeof item !== 'string') continue;
    const choice = item.trim();
    if (!choice || choice.length > CHOICE_MAX || /[\u0000-\u001f\u007f]/.test(choice)) continue;
    out.add(choice);
    if (out.size >= LISTED_MAX) break;
  }
  return [...out];
}
