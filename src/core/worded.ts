/**
 * Errors worded through the catalogues. A refusal or a validation error is
 * often raised far from the request (a service both the pages and the JSON
 * API call), where nobody knows who will read it: it keeps its wording, and
 * whoever shows it picks the language. `message` is the English, for the
 * JSON API, the CLI and the log, which stay English.
 */
import { ENGLISH, type Translate } from './i18n.ts';

/** A message in any language: give it the reader's translator. */
export type Wording = (t: Translate) => string;

export { ENGLISH };

export class WordedError extends Error {
  readonly wording: Wording;
  /** `message` as plain text stays the same in every language (it was not worded through the catalogues). */
  constructor(message: string | Wording, options?: ErrorOptions) {
    const wording: Wording = typeof message === 'string' ? () => message : message;
    super(wording(ENGLISH), options);
    this.wording = wording;
  }

  /** The message in the language `t` speaks. */
  say(t: Translate): string {
    return this.wording(t);
  }
}

/** The message of any error, in the language `t` speaks when the error was worded. */
export function messageIn(e: Error, t: Translate): string {
  return e instanceof WordedError ? e.say(t) : e.message;
}
