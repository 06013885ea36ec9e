import type { APIRoute } from 'astro';
import { runArtifactRoute } from '../../../../web/artifact-routes.ts';

export const GET: APIRoute = (ctx) => runArtifactRoute(ctx);
