/**
 * What a service refuses, said in the service's own terms. Services never
 * speak HTTP: src/web maps each kind to a status (src/web/errors.ts), and the
 * CLI prints the message.
 */
import { WordedError, type Wording } from '../core/worded.ts';

export type RefusalKind =
  /** Nobody is logged in, and this needs someone. */
  | 'login'
  /** The person may not do this. */
  | 'forbidden'
  /** The thing asked for does not exist. */
  | 'not_found'
  /** The request itself is damaged (a form field no form would send). */
  | 'malformed'
  /** The request is fine, but the state of things does not allow it now. */
  | 'conflict';

/** A refusal worded through the catalogues (a Wording) is shown in the person's language on pages; `message` is its English. */
export class Refused extends WordedError {
  readonly kind: RefusalKind;
  constructor(kind: RefusalKind, message: string | Wording) {
    super(message);
    this.name = 'Refused';
    this.kind = kind;
  }
}

export const notFound = (what: string | Wording) => new Refused('not_found', what);
export const forbidden = (why: string | Wording) => new Refused('forbidden', why);
export const loginFirst = (why: string | Wording) => new Refused('login', why);
