/**
 * What a service refuses, said in the service's own terms. Services never
 * speak HTTP: src/web maps each kind to a status (src/web/errors.ts), and the
 * CLI prints the message.
 */
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

export class Refused extends Error {
  readonly kind: RefusalKind;
  constructor(kind: RefusalKind, message: string) {
    super(message);
    this.name = 'Refused';
    this.kind = kind;
  }
}

export const notFound = (what: string) => new Refused('not_found', what);
export const forbidden = (why: string) => new Refused('forbidden', why);
export const loginFirst = (why: string) => new Refused('login', why);
