// GET/HEAD /page/<slug>/latest.yaml: the page's latest values for scripts (see src/web/latest-values.ts).
import type { APIRoute } from 'astro';
import { latestValuesResponse } from '../../../web/latest-values.ts';

// ALL, not GET: HEAD is answered by the same code (Astro drops the body), and other methods get 405 with Allow.
export const ALL: APIRoute = (ctx) => latestValuesResponse(ctx, 'yaml');
