import type { APIRoute } from 'astro';
import { logRoute } from '../../../web/run-routes.ts';

export const GET: APIRoute = (ctx) => logRoute(ctx);
