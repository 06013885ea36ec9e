/**
 * Sending an event as email through the SMTP server of `notify.smtp`, with
 * nodemailer. The transport (a connection pool) is kept per SMTP settings
 * and credentials, and built again when either changes.
 */
import nodemailer, { type Transporter } from 'nodemailer';
import type { SmtpConfig } from '../../core/config/notify.ts';
import type { Message } from '../../core/notify-message.ts';
import type { WebhookResult } from './webhook.ts';

let kept: { key: string; transport: Transporter } | undefined;

/** The SMTP login from the environment, when the config names one (cannotSend has checked it is set). */
function credentials(smtp: SmtpConfig): { user: string; pass: string } | undefined {
  if (!smtp.username_env || !smtp.password_env) return undefined;
  return { user: process.env[smtp.username_env] ?? '', pass: process.env[smtp.password_env] ?? '' };
}

function transportFor(smtp: SmtpConfig, auth: { user: string; pass: string } | undefined, timeoutMs: number): Transporter {
  const key = JSON.stringify([smtp, auth, timeoutMs]);
  if (kept?.key === key) return kept.transport;
  kept?.transport.close();
  const transport = nodemailer.createTransport({
    host: smtp.host,
    port: smtp.port,
    secure: smtp.tls === 'tls',
    requireTLS: smtp.tls === 'starttls',
    ignoreTLS: smtp.tls === 'none',
    auth,
    connectionTimeout: timeoutMs,
    greetingTimeout: timeoutMs,
    socketTimeout: timeoutMs,
  });
  kept = { key, transport };
  return transport;
}

export async function sendEmail(smtp: SmtpConfig, to: string[], message: Message, ids: { type: string; eventUid: string; deliveryUid: string }, timeoutMs: number): Promise<WebhookResult> {
  const auth = credentials(smtp);
  try {
    const info = await transportFor(smtp, auth, timeoutMs).sendMail({
      from: smtp.from,
      to,
      subject: message.subject,
      text: message.text,
      html: message.html,
      headers: { 'X-Switchyard-Event': ids.type, 'X-Switchyard-Event-Id': ids.eventUid, 'X-Switchyard-Delivery': ids.deliveryUid },
    });
    return { ok: true, excerpt: String(info.response ?? '').slice(0, 512) };
  } catch (e) {
    const err = e as Error & { responseCode?: number; response?: string; code?: string };
    // A 5xx answer is the server refusing this message for good (no such mailbox, not allowed); a 4xx or a network fault may pass.
    const permanent = typeof err.responseCode === 'number' && err.responseCode >= 500;
    return { ok: false, status: err.responseCode, error: `${smtp.host}:${smtp.port}: ${err.message}${err.code ? ` (${err.code})` : ''}`, excerpt: err.response?.slice(0, 512), final: permanent };
  }
}
