import type { APIRoute } from 'astro';
import { healthz, onlyGet } from '../web/health-routes.ts';

export const ALL: APIRoute = ({ request }) => onlyGet(request, healthz);
