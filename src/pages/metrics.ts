import type { APIRoute } from 'astro';
import { onlyGet } from '../web/health-routes.ts';
import { metricsRoute } from '../web/metrics-routes.ts';

export const ALL: APIRoute = ({ request, locals, clientAddress }) => onlyGet(request, () => metricsRoute(request, clientAddress, locals));
