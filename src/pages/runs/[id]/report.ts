import type { APIRoute } from 'astro';
import { reportRoute } from '../../../web/run-routes.ts';

export const GET: APIRoute = (ctx) => reportRoute(ctx);
