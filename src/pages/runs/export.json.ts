import type { APIRoute } from 'astro';
import { runsExportRoute } from '../../web/run-routes.ts';

export const GET: APIRoute = (ctx) => runsExportRoute(ctx, 'json');
