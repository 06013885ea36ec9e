import type { APIRoute } from 'astro';
import { rerunRoute } from '../../../web/run-routes.ts';

export const POST: APIRoute = (ctx) => rerunRoute(ctx);
