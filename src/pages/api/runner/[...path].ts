import type { APIRoute } from 'astro';
import { handleRunnerApi } from '../../../web/runner-api.ts';

export const ALL: APIRoute = ({ locals, request, params }) => handleRunnerApi(locals.app, request, params.path ?? '');
