import type { APIRoute } from 'astro';
import { handleApi } from '../../../web/api-v1.ts';
import { viewerOf } from '../../../web/routes.ts';

export const ALL: APIRoute = ({ locals, request, params }) => handleApi(locals.app, request, params.path ?? '', viewerOf(locals));
