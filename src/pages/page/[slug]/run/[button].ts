import type { APIRoute } from 'astro';
import { runButtonRoute } from '../../../../web/run-routes.ts';

export const POST: APIRoute = (ctx) => runButtonRoute(ctx);
