import type { APIRoute } from 'astro';
import { latestArtifactRoute } from '../../../../../web/artifact-routes.ts';

export const GET: APIRoute = (ctx) => latestArtifactRoute(ctx);
