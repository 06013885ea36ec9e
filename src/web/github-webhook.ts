/**
 * POST /api/github/push: GitHub's push webhook. A push to the target branch
 * makes this process look for changes made in Git at once, instead of at the
 * next poll (server/git/inbound.ts); the look itself reads the branch, so the
 * payload is only trusted to say "look now". The body must carry GitHub's
 * HMAC-SHA256 signature under the secret named by
 * `git.github.webhook_secret_env`; without that setting the address does not
 * exist.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import type { App } from '../server/app.ts';
import { HttpError, json, jsonObjectOf, readBoundedBytes } from './http.ts';

/** GitHub caps a webhook's body at 25 MB; a push that names values files is far smaller, and a larger body is refused unread. */
const MAX_BYTES = 5 * 1024 * 1024;

export function signatureOf(secret: string, body: Buffer): string {
  return `sha256=${createHmac('sha256', secret).update(body).digest('hex')}`;
}

function signedBy(secret: string, body: Buffer, header: string | null): boolean {
  const expected = Buffer.from(signatureOf(secret, body));
  const given = Buffer.from(header ?? '');
  return given.length === expected.length && timingSafeEqual(given, expected);
}

export async function githubPush(app: App, request: Request): Promise<Response> {
  const github = (await app.config.current()).config.git?.github;
  if (!github?.webhook_secret_env) throw new HttpError(404, 'no GitHub webhook here: config.yaml sets no git.github.webhook_secret_env');
  const secret = process.env[github.webhook_secret_env];
  if (!secret) throw new HttpError(503, `the webhook's secret is not set: the environment variable ${github.webhook_secret_env} is empty; nothing was done`);
  const body = await readBoundedBytes(request, MAX_BYTES);
  if (body === undefined) throw new HttpError(413, 'body larger than 5 MiB; nothing was done');
  if (!signedBy(secret, body, request.headers.get('x-hub-signature-256'))) throw new HttpError(401, 'the X-Hub-Signature-256 signature does not match the body under the webhook secret; nothing was done');
  const event = request.headers.get('x-github-event');
  if (event === 'ping') return json({ ok: true, event });
  if (event !== 'push') return json({ ok: true, event, ignored: 'only push events are used' }, 202);
  const payload = jsonObjectOf(body.toString('utf8'));
  const repository = String((payload.repository as { full_name?: unknown } | undefined)?.full_name ?? '');
  if (payload.ref !== `refs/heads/${github.branch}` || repository.toLowerCase() !== github.repository.toLowerCase()) {
    return json({ ok: true, event, ignored: `not a push to ${github.repository} ${github.branch}` }, 202);
  }
  app.publications.lookInGit();
  return json({ ok: true, event, looking: true }, 202);
}
