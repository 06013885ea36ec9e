import type { APIRoute } from 'astro';
import { gitChangeRoute } from '../../../web/routes.ts';

export const POST: APIRoute = (ctx) => gitChangeRoute(ctx);
