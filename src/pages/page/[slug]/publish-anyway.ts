import type { APIRoute } from 'astro';
import { publishAnywayRoute } from '../../../web/routes.ts';

export const POST: APIRoute = (ctx) => publishAnywayRoute(ctx);
