import type { APIRoute } from 'astro';
import { logoutRoute } from '../web/auth-routes.ts';

export const POST: APIRoute = (ctx) => logoutRoute(ctx);
