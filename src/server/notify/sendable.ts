/**
 * Whether a target can be sent to as things stand: its host allowed, its
 * signing key or SMTP login in the environment. The worker asks before each
 * attempt, and Admin → Deliveries shows the same words beside the target.
 */
import type { NotifyTarget, SmtpConfig } from '../../core/config/notify.ts';
import type { NotifySettings } from '../settings.ts';
import { hostAllowed } from './webhook.ts';

/** Why nothing can be sent to the target now; `final` when no retry can help (only a config change can). */
export function cannotSend(target: NotifyTarget, smtp: SmtpConfig | undefined, s: Pick<NotifySettings, 'webhookHosts'>, env = process.env): { error: string; final: boolean } | undefined {
  if (target.webhook) {
    const host = new URL(target.webhook.url).hostname;
    if (!hostAllowed(host, s.webhookHosts)) return { final: true, error: `${host} is not in SWITCHYARD_WEBHOOK_HOSTS (${s.webhookHosts!.join(', ')}), so nothing is sent there` };
    if (!env[target.webhook.secret_env]) return { final: false, error: `environment variable ${target.webhook.secret_env} is not set, so the body cannot be signed; nothing was sent` };
    return undefined;
  }
  if (!smtp) return { final: false, error: 'config.yaml has no notify.smtp to send email through' };
  const missing = [smtp.username_env, smtp.password_env].filter((n): n is string => !!n && !env[n]);
  if (missing.length) return { final: false, error: `environment variable ${missing.join(' and ')} is not set, so Switchyard cannot log in to ${smtp.host}` };
  return undefined;
}
