import type { APIRoute } from 'astro';
import { onlyGet, readyz } from '../web/health-routes.ts';

export const ALL: APIRoute = ({ request, locals }) => onlyGet(request, () => readyz(locals));
