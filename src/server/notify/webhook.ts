/**
 * Sending an event to a webhook: one POST of the event's JSON body, signed
 * the way Stripe signs its webhooks (an HMAC-SHA256 over the timestamp and
 * the body, both in one header), so receivers can use what they know.
 * Redirects are not followed (a receiver's address is what the config says),
 * the answer is read only as far as a short excerpt, and every request has a
 * deadline.
 */
import { createHmac } from 'node:crypto';
import type { Attempt } from './deliveries.ts';

export const SIGNATURE_HEADER = 'Switchyard-Signature';
const EXCERPT_BYTES = 512;

/** The signature of a body sent at `timestamp` (Unix seconds): hex HMAC-SHA256 of "<timestamp>.<body>". */
export function sign(secret: string, timestamp: number, body: string): string {
  return createHmac('sha256', secret).update(`${timestamp}.${body}`).digest('hex');
}

/** Whether `host` is allowed by the list ("hooks.example.com", or "*.example.com" for its subdomains). */
export function hostAllowed(host: string, allowed: string[] | undefined): boolean {
  if (!allowed) return true;
  const h = host.toLowerCase().replace(/^\[|\]$/g, '');
  return allowed.some((a) => (a.startsWith('*.') ? h.endsWith(a.slice(1)) : h === a.replace(/^\[|\]$/g, '')));
}

/** The first bytes of an answer, as text; the rest is never read. */
async function excerpt(res: Response): Promise<string> {
  if (!res.body) return '';
  const reader = res.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  try {
    while (size < EXCERPT_BYTES) {
      const { done, value } = await reader.read();
      if (done) break;
      chunks.push(value);
      size += value.byteLength;
    }
  } finally {
    void reader.cancel().catch(() => {});
  }
  const text = Buffer.concat(chunks).subarray(0, EXCERPT_BYTES).toString('utf8');
  return text.replace(/[\u0000-\u0008\u000b-\u001f\u007f]/g, '').trim();
}

function connectionError(e: unknown, url: URL, timeoutMs: number): string {
  const err = e as Error & { cause?: { code?: string; message?: string } };
  if (err.name === 'TimeoutError') return `no answer from ${url.host} within ${timeoutMs / 1000} s`;
  const code = err.cause?.code;
  return `could not reach ${url.host}${code ? ` (${code})` : ''}: ${err.cause?.message ?? err.message}`;
}

/** How long the receiver asks us to wait (Retry-After in seconds), if it does. */
function retryAfterMs(res: Response): number | undefined {
  const v = Number(res.headers.get('retry-after'));
  return Number.isFinite(v) && v > 0 ? v * 1000 : undefined;
}

export interface WebhookRequest {
  url: string;
  secret: string;
  body: string;
  type: string;
  eventUid: string;
  deliveryUid: string;
  timeoutMs: number;
}

export type WebhookResult = Omit<Attempt, 'nextAttemptAt'> & { retryAfterMs?: number };

export async function sendWebhook(r: WebhookRequest, now = Date.now()): Promise<WebhookResult> {
  const url = new URL(r.url);
  const t = Math.floor(now / 1000);
  let res: Response;
  try {
    res = await fetch(url, {
      method: 'POST',
      redirect: 'manual',
      signal: AbortSignal.timeout(r.timeoutMs),
      headers: {
        'Content-Type': 'application/json',
        'User-Agent': 'Switchyard-Webhooks/1',
        'Switchyard-Event': r.type,
        'Switchyard-Event-Id': r.eventUid,
        'Switchyard-Delivery': r.deliveryUid,
        [SIGNATURE_HEADER]: `t=${t},v1=${sign(r.secret, t, r.body)}`,
      },
      body: r.body,
    });
  } catch (e) {
    return { ok: false, error: connectionError(e, url, r.timeoutMs) };
  }
  const text = await excerpt(res).catch(() => '');
  if (res.status >= 200 && res.status < 300) return { ok: true, status: res.status, excerpt: text };
  if (res.status >= 300 && res.status < 400) {
    return { ok: false, status: res.status, excerpt: text, error: `answered ${res.status} with a redirect to ${res.headers.get('location') ?? '(no Location)'}; redirects are not followed: put the final address in config.yaml` };
  }
  // 410 Gone is a receiver saying "never again": retrying it would only hold back the target's later events.
  return { ok: false, status: res.status, excerpt: text, error: `answered ${res.status} ${res.statusText}`.trim(), final: res.status === 410, retryAfterMs: retryAfterMs(res) };
}
