/**
 * Whether a target can be sent to as things stand: its host allowed, its
 * signing key or SMTP login in the environment. The worker asks before each
 * attempt (recording the English), and Admin → Deliveries shows the same
 * words beside the target, in the admin's language.
 */
import type { NotifyTarget, SmtpConfig } from '../../core/config/notify.ts';
import { ENGLISH, type Wording } from '../../core/worded.ts';
import type { NotifySettings } from '../settings.ts';
import { hostAllowed } from './webhook.ts';

export interface Blocked {
  /** No retry can help: only a config change can. */
  final: boolean;
  /** Why, in English: what the worker records for the attempt. */
  error: string;
  /** Why, in any language: what the admin reads. */
  say: Wording;
}

const blocked = (final: boolean, say: Wording): Blocked => ({ final, error: say(ENGLISH), say });

/** Why nothing can be sent to the target now, or undefined when it can. */
export function cannotSend(target: NotifyTarget, smtp: SmtpConfig | undefined, s: Pick<NotifySettings, 'webhookHosts'>, env = process.env): Blocked | undefined {
  if (target.webhook) {
    const host = new URL(target.webhook.url).hostname;
    if (!hostAllowed(host, s.webhookHosts)) return blocked(true, (t) => t('admin.sendable.hostNotAllowed', { host, hosts: s.webhookHosts!.join(', ') }));
    const secret = target.webhook.secret_env;
    if (!env[secret]) return blocked(false, (t) => t('admin.sendable.noSecret', { name: secret }));
    return undefined;
  }
  if (!smtp) return blocked(false, (t) => t('admin.sendable.noSmtp'));
  const missing = [smtp.username_env, smtp.password_env].filter((n): n is string => !!n && !env[n]);
  if (missing.length) return blocked(false, (t) => t('admin.sendable.noLogin', { count: missing.length, names: missing.join(', '), host: smtp.host }));
  return undefined;
}
