import type { APIRoute } from 'astro';
import { cancelRoute } from '../../../web/run-routes.ts';

export const POST: APIRoute = (ctx) => cancelRoute(ctx);
