import type { APIRoute } from 'astro';
import { githubPush } from '../../../web/github-webhook.ts';

export const POST: APIRoute = ({ locals, request }) => githubPush(locals.app, request);
