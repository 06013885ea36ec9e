/**
 * The delivery worker: fans events out to their targets (fanout.ts), then
 * sends each target's oldest pending delivery, several targets at once, one
 * delivery per target at a time. A failed delivery waits with a doubling
 * backoff (or as long as the receiver's Retry-After asks) and is given up
 * after the configured number of attempts, which lets the target's later
 * events go; an admin can resend it. Nothing that caused an event waits for
 * any of this.
 *
 * Deliveries run side by side, one per target: a receiver that hangs until
 * its deadline holds back only its own target.
 *
 * Every app process runs one worker. It looks for work every second, and at
 * once when this process records an event (at most every 25 ms, so a burst of
 * events is fanned out in one transaction). An event recorded by any process
 * on the database is so picked up within about a second; claims keep two
 * processes from sending one delivery at once.
 */
import type { App } from '../app.ts';
import type { LiveConfig } from '../config-store.ts';
import { emailFor, namedIn } from '../../core/notify-message.ts';
import { heldByOther, newClaim, renewing } from '../claims.ts';
import { Sleeper } from '../wake.ts';
import { claimDelivery, deliveryBody, recordAttempt, targetHeads, type Due } from './deliveries.ts';
import { FANOUT_BATCH, fanOut } from './fanout.ts';
import { sendWebhook, type WebhookResult } from './webhook.ts';
import { cannotSend } from './sendable.ts';
import { sendEmail } from './email.ts';
import { runRecipients } from './run-recipients.ts';
import type { NotifySettings } from '../settings.ts';

const IDLE_CHECK_MS = 1000;
/** Targets sent to at once by one process (one delivery each). */
const PARALLEL = 8;

export function deliveryBackoffMs(s: NotifySettings, attempts: number): number {
  return Math.min(s.maxBackoffMs, s.backoffMs * 2 ** Math.max(0, attempts - 1));
}

/** One attempt at a delivery, by the target's channel as the config says now. */
async function attempt(app: App, live: LiveConfig, d: Due): Promise<WebhookResult> {
  const site = live.config;
  const target = site.notify?.targets.find((t) => t.name === d.target);
  if (!target) return { ok: false, final: true, error: `config.yaml names no target "${d.target}" any more` };
  const event = await deliveryBody(app.db, d.eventId);
  if (!event) return { ok: false, final: true, error: 'the event is gone (removed by retention)' };
  const s = app.settings.notify;
  const smtp = site.notify?.smtp;
  const blocked = cannotSend(target, smtp, s);
  if (blocked) return { ok: false, final: blocked.final, error: blocked.error };
  const ids = { type: event.type, eventUid: (JSON.parse(event.body) as { id: string }).id, deliveryUid: d.uid };
  if (target.webhook) {
    const w = target.webhook;
    return sendWebhook({ url: w.url, secret: process.env[w.secret_env]!, body: event.body, ...ids, timeoutMs: w.timeout ?? s.timeoutMs });
  }
  const { language: lang, to, run_recipients: allow } = target.email!;
  const body = JSON.parse(event.body) as Record<string, unknown>;
  // The target's own list first; whom the run named (and the target allows) after, each once.
  const recipients = [...new Set([...to, ...(await runRecipients(app.db, body, allow))])];
  return sendEmail(smtp!, recipients, emailFor(namedIn(body, live.inLanguage(lang)), lang), ids, s.timeoutMs);
}

async function deliver(app: App, live: LiveConfig, d: Due, mine: string, log: (m: string) => void): Promise<void> {
  const stopRenewing = renewing(app.db, 'deliveries', 'id', d.id, mine);
  let result: WebhookResult;
  try {
    result = await attempt(app, live, d);
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

/** A round's pace: at most one look (and so one fan-out transaction) per this long, however many events arrive, so a burst of saves shares one. */
const MIN_GAP_MS = 25;

export function startDeliveries(app: App, log: (m: string) => void = console.log): () => void {
  let stopped = false;
  const sleeper = new Sleeper(app.deliveries);
  // Its own claim identity: another worker, even in this process, never takes a delivery this one holds.
  const mine = newClaim();
  // Deliveries under way, by target: a slow receiver holds back only its own target's next event.
  const inFlight = new Map<string, Promise<void>>();

  /** One look: fan out what waits, start what is due. Returns how long to wait before the next look. */
  async function round(): Promise<number> {
    const live = await app.config.current();
    while ((await fanOut(app.db, live.config, app.settings.publicUrl)) === FANOUT_BATCH);
    const now = Date.now();
    const heads = (await targetHeads(app.db)).filter((h) => !inFlight.has(h.target));
    const due = heads.filter((h) => h.nextAttemptAt <= now && !heldByOther(h, now, mine)).slice(0, Math.max(0, PARALLEL - inFlight.size));
    for (const d of due) {
      if (!(await claimDelivery(app.db, d, mine))) continue;
      const done = deliver(app, live, d, mine, log)
        .catch((e: unknown) => log(`Delivery ${d.id} to ${d.target} could not be recorded: ${(e as Error).message}; it is tried again once its claim lapses.`))
        .finally(() => {
        inFlight.delete(d.target);
        app.deliveries.poke(); // the target's next event may go now
      });
      inFlight.set(d.target, done);
    }
    const waiting = heads.filter((h) => !due.includes(h));
    const soonest = Math.min(...waiting.map((h) => (heldByOther(h, now, mine) ? Math.max(h.claimedUntil, h.nextAttemptAt) : h.nextAttemptAt)));
    return Math.min(IDLE_CHECK_MS, Math.max(MIN_GAP_MS, soonest - now));
  }

  void (async () => {
    while (!stopped) {
      sleeper.begin();
      const started = Date.now();
      try {
        const waitMs = await round();
        await sleeper.sleep(waitMs);
      } catch (e) {
        log(`Delivery worker error: ${(e as Error).message}`);
        await sleeper.sleep(5000);
      }
      // A poke cuts a sleep short, but rounds keep their pace.
      const gap = MIN_GAP_MS - (Date.now() - started);
      if (gap > 0 && !stopped) await new Promise((r) => setTimeout(r, gap));
    }
  })();
  return () => {
    stopped = true;
    sleeper.stop();
  };
}
