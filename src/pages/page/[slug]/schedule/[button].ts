import type { APIRoute } from 'astro';
import { scheduleRoute } from '../../../../web/run-routes.ts';

export const POST: APIRoute = (ctx) => scheduleRoute(ctx);
