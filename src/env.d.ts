/// <reference types="astro/client" />

declare namespace App {
  interface Locals {
    app: import('./server/app.ts').App;
    user: import('./server/auth/sessions.ts').SessionUser | undefined;
    session: import('./server/auth/sessions.ts').Session | undefined;
    ip: string;
    /** This request's reads (app.db.snapshot()): results kept while the database is unchanged. */
    reads: import('./server/read-cache.ts').Reads;
    /** The interface language of this request: the person's choice, else their browser's. */
    lang: import('./core/languages.ts').Language;
    /** Translates for this request's language (src/i18n/<lang>.json). */
    t: import('./core/i18n.ts').Translate;
    /** Set when a route raised an HttpError, for the error page. */
    error?: import('./web/http.ts').HttpError;
  }
}
