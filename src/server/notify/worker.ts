/**
 * The delivery worker: fans events out to their targets (fanout.ts), then
 * sends each target's oldest pending delivery, several targets at once, one
 * delivery per target at a time. A failed delivery waits with a doubling
 * backoff (or as long as the receiver's Retry-After asks) and is given up
 * after the configured number of attempts, which lets the target's later
 * events go; an admin can resend it. Nothing that caused an event waits for
 * any of this.
 *
 * Every app process runs one. The worker looks for work every second, so an
 * event recorded by any process on the database is picked up within about a
 * second even when its own process's worker is busy; claims keep two
 * processes from sending one delivery at once.
 */
import type { App } from '../app.ts';
import type { SiteConfig } from '../../core/config/schema.ts';
import { emailFor } from '../../core/notify-message.ts';
import { heldByOther, newClaim, renewing } from '../claims.ts';
import { Sleeper } from '../wake.ts';
import { claimDelivery, deliveryBody, recordAttempt, targetHeads, type Due } from './deliveries.ts';
import { FANOUT_BATCH, fanOut } from './fanout.ts';
import { hostAllowed, sendWebhook, type WebhookResult } from './webhook.ts';
import { sendEmail } from './email.ts';
import type { NotifySettings } from '../settings.ts';

const IDLE_CHECK_MS = 1000;
/** Targets sent to at once by one process. */
const PARALLEL = 8;

export function deliveryBackoffMs(s: NotifySettings, attempts: number): number {
  return Math.min(s.maxBackoffMs, s.backoffMs * 2 ** Math.max(0, attempts - 1));
}

/** One attempt at a delivery, by the target's channel as the config says now. */
async function attempt(app: App, site: SiteConfig, d: Due): Promise<WebhookResult> {
  const target = site.notify?.targets.find((t) => t.name === d.target);
  if (!target) return { ok: false, final: true, error: `config.yaml names no target "${d.target}" any more` };
  const event = await deliveryBody(app.db, d.eventId);
  if (!event) return { ok: false, final: true, error: 'the event is gone (removed by retention)' };
  const s = app.settings.notify;
  const ids = { type: event.type, eventUid: (JSON.parse(event.body) as { id: string }).id, deliveryUid: d.uid };
  if (target.webhook) {
    const w = target.webhook;
    const host = new URL(w.url).hostname;
    if (!hostAllowed(host, s.webhookHosts)) return { ok: false, final: true, error: `${host} is not in SWITCHYARD_WEBHOOK_HOSTS (${s.webhookHosts!.join(', ')}), so nothing is sent there` };
    const secret = process.env[w.secret_env];
    if (!secret) return { ok: false, error: `environment variable ${w.secret_env} is not set, so the body cannot be signed; nothing was sent` };
    return sendWebhook({ url: w.url, secret, body: event.body, ...ids, timeoutMs: w.timeout ?? s.timeoutMs });
  }
  if (!site.notify?.smtp) return { ok: false, error: 'config.yaml has no notify.smtp to send email through' };
  return sendEmail(site.notify.smtp, target.email!.to, emailFor(JSON.parse(event.body) as Record<string, unknown>), ids, s.timeoutMs);
}

async function deliver(app: App, site: SiteConfig, d: Due, mine: string, log: (m: string) => void): Promise<void> {
  const stopRenewing = renewing(app.db, 'deliveries', 'id', d.id, mine);
  let result: WebhookResult;
  try {
    result = await attempt(app, site, d);
  } catch (e) {
    result = { ok: false, error: (e as Error).message };
  } finally {
    stopRenewing();
  }
  const s = app.settings.notify;
  const final = !result.ok && (result.final || d.attempts + 1 >= s.attempts);
  const waitMs = Math.min(s.maxBackoffMs, Math.max(result.retryAfterMs ?? 0, deliveryBackoffMs(s, d.attempts + 1)));
  const recorded = await recordAttempt(app.db, d, { ...result, final, nextAttemptAt: result.ok || final ? 0 : Date.now() + waitMs }, mine);
  if (!recorded) return log(`Delivery ${d.id} to ${d.target} was taken over by another process; its outcome is recorded there.`);
  if (result.ok) return;
  if (final) log(`Delivery ${d.id} to ${d.target} given up after ${d.attempts + 1} attempt(s): ${result.error}`);
  else log(`Delivery ${d.id} to ${d.target} failed (attempt ${d.attempts + 1} of ${s.attempts}): ${result.error}; trying again in ${Math.round(waitMs / 1000)} s.`);
}

/** One round: fan out what waits, then send what is due. Returns how long to wait before the next, or 0 to go on at once. */
async function round(app: App, mine: string, log: (m: string) => void): Promise<number> {
  const { config } = await app.config.current();
  while ((await fanOut(app.db, config, app.settings.publicUrl)) === FANOUT_BATCH);
  const now = Date.now();
  const heads = await targetHeads(app.db);
  const due = heads.filter((h) => h.nextAttemptAt <= now && !heldByOther(h, now, mine)).slice(0, PARALLEL);
  const claimed: Due[] = [];
  for (const d of due) if (await claimDelivery(app.db, d, mine)) claimed.push(d);
  await Promise.all(claimed.map((d) => deliver(app, config, d, mine, log)));
  if (claimed.length) return 0;
  const soonest = Math.min(...heads.map((h) => (heldByOther(h, now, mine) ? Math.max(h.claimedUntil, h.nextAttemptAt) : h.nextAttemptAt)));
  return Math.min(IDLE_CHECK_MS, Math.max(20, soonest - now));
}

export function startDeliveries(app: App, log: (m: string) => void = console.log): () => void {
  let stopped = false;
  const sleeper = new Sleeper(app.deliveries);
  // Its own claim identity: another worker, even in this process, never takes a delivery this one holds.
  const mine = newClaim();
  void (async () => {
    while (!stopped) {
      sleeper.begin();
      try {
        const waitMs = await round(app, mine, log);
        if (waitMs > 0) await sleeper.sleep(waitMs);
      } catch (e) {
        log(`Delivery worker error: ${(e as Error).message}`);
        await sleeper.sleep(5000);
      }
    }
  })();
  return () => {
    stopped = true;
    sleeper.stop();
  };
}
