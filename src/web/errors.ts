/** How an HttpError that escaped a route is shown: through the normal layout, with its status. */
import type { SiteConfig } from '../core/config/schema.ts';
import { HttpError } from '../server/http.ts';

const TITLES: Record<number, string> = {
  400: 'Bad request',
  401: 'Log in required',
  403: 'Not allowed',
  404: 'Not found',
  409: 'Conflict',
  429: 'Too many requests',
};

export interface ErrorView {
  status: number;
  title: string;
  message: string;
  headers: Record<string, string>;
  site?: SiteConfig;
}

export async function errorView(locals: App.Locals): Promise<ErrorView> {
  const e = locals.error ?? new HttpError(404, 'There is nothing at this address.');
  const site = locals.app ? (await locals.app.config.current()).config : undefined;
  return { status: e.status, title: TITLES[e.status] ?? 'Error', message: e.message, headers: e.headers, site };
}
