/**
 * `notify:` in config.yaml. At the top level it names the targets (a webhook
 * or a list of email addresses) with the events each gets from every page,
 * and the SMTP server email goes through. A page or a button subscribes a
 * target to more events of its own. Secrets (a webhook's signing key, the
 * SMTP credentials) never live here: only the names of the environment
 * variables that hold them.
 */
import * as z from 'zod';
import { BUTTON_EVENTS, NOTIFY_EVENTS, type NotifyEvent } from '../notify-events.ts';
import { durationUpTo } from './duration.ts';
import { DEFAULT_LANGUAGE, LANGUAGES } from '../languages.ts';

const envName = z.string().regex(/^[A-Z_][A-Z0-9_]{0,63}$/, { message: 'must be an environment variable name such as SWITCHYARD_WEBHOOK_SECRET' });

const targetName = z.string().regex(/^[a-z0-9](?:[a-z0-9_-]{0,62}[a-z0-9])?$/, {
  message: 'must be a short name: lowercase letters, digits, "-" and "_", at most 64 characters',
});

function eventList(allowed: readonly NotifyEvent[], where: string) {
  return z
    .array(z.string())
    .max(NOTIFY_EVENTS.length * 2)
    .superRefine((list, ctx) => {
      list.forEach((e, i) => {
        if ((allowed as readonly string[]).includes(e)) return;
        const known = (NOTIFY_EVENTS as readonly string[]).includes(e);
        ctx.addIssue({
          code: 'custom',
          path: [i],
          message: known
            ? `"${e}" is not about ${where}; ${where === 'a button' ? 'name it in the page\'s notify' : 'it cannot be chosen here'} (allowed here: ${allowed.join(', ')})`
            : `unknown event "${e}"; events are ${allowed.join(', ')}`,
        });
      });
    })
    .transform((list) => [...new Set(list)] as NotifyEvent[]);
}

/** A receiver's address. Credentials in it would be shown on the Deliveries page and in logs: they belong in a header, so they are refused. */
const webhookUrl = z.url({ protocol: /^https?$/, message: 'must be an http(s) URL' }).superRefine((value, ctx) => {
  const u = new URL(value);
  if (u.username || u.password) ctx.addIssue({ code: 'custom', message: 'must not carry a user name or password; the body is signed with the key named by secret_env instead' });
});

const MAX_TIMEOUT_MS = 60_000;

const webhook = z.strictObject({
  url: webhookUrl,
  secret_env: envName,
  timeout: z
    .unknown()
    .optional()
    .transform((value, ctx) => (value === undefined ? undefined : durationUpTo(value, MAX_TIMEOUT_MS, 'must be a duration of at most 60 seconds, such as 5 or "10s"', ctx))),
});

/** An address as SMTP takes it: no spaces, one @, a dot in the domain. Display names go in `from` only. */
const address = z.string().max(254).regex(/^[^\s@<>(),;:"]+@[^\s@<>(),;:"]+\.[^\s@<>(),;:".]+$/, { message: 'must be an email address such as ops@example.com' });

const domain = z.string().max(253).regex(/^(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$/, { message: 'must be a mail domain such as lab.example.edu' });

/**
 * Also tell whom a run's script names (SWITCHYARD_NOTIFY_FILE): Switchyard
 * users at their account's address, and addresses only in these domains, so a
 * script cannot make this server mail anyone anywhere.
 */
const runRecipients = z.strictObject({
  domains: z.array(domain).max(50).default([]),
});

const email = z.strictObject({
  to: z.array(address).min(1, { message: 'must list at least one address' }).max(50),
  run_recipients: runRecipients.optional(),
  language: z.enum(LANGUAGES, { message: `must be one of ${LANGUAGES.join(', ')}` }).default(DEFAULT_LANGUAGE),
});

const target = z
  .strictObject({
    name: targetName,
    webhook: webhook.optional(),
    email: email.optional(),
    events: eventList(NOTIFY_EVENTS, 'the site').default([]),
  })
  .superRefine((t, ctx) => {
    if (!t.webhook === !t.email) ctx.addIssue({ code: 'custom', message: 'must have exactly one of webhook or email' });
  });

export const TLS_MODES = ['starttls', 'tls', 'none'] as const;
const DEFAULT_PORT = { starttls: 587, tls: 465, none: 25 } as const;

const smtp = z
  .strictObject({
    host: z.string().min(1).max(253).regex(/^[A-Za-z0-9.:[\]-]+$/, { message: 'must be a host name or an IP address' }),
    port: z.int().min(1).max(65535).optional(),
    tls: z.enum(TLS_MODES, { message: `must be one of ${TLS_MODES.join(', ')}` }).default('starttls'),
    username_env: envName.optional(),
    password_env: envName.optional(),
    from: z.string().min(3).max(320).regex(/@/, { message: 'must be an address, optionally with a name: "Switchyard <switchyard@example.com>"' }),
  })
  .superRefine((s, ctx) => {
    if (!s.username_env !== !s.password_env) ctx.addIssue({ code: 'custom', message: 'needs both username_env and password_env, or neither' });
  })
  .transform((s) => ({ ...s, port: s.port ?? DEFAULT_PORT[s.tls] }));

export const siteNotify = z.strictObject({
  targets: z.array(target).max(50).default([]),
  smtp: smtp.optional(),
});

/** A page's or a button's subscriptions: more events for a target named at the top level. */
const subscription = (allowed: readonly NotifyEvent[], where: string) =>
  z.strictObject({ target: targetName, events: eventList(allowed, where).refine((l) => l.length > 0, { message: 'must list at least one event' }) });

export const pageNotify = z.array(subscription(NOTIFY_EVENTS, 'a page')).max(50);
export const buttonNotify = z.array(subscription(BUTTON_EVENTS, 'a button')).max(50);

export type SiteNotify = z.output<typeof siteNotify>;
export type NotifyTarget = SiteNotify['targets'][number];
export type SmtpConfig = NonNullable<SiteNotify['smtp']>;
export type Subscription = z.output<typeof pageNotify>[number];

interface Subscribers {
  notify?: Subscription[];
  buttons: { notify?: Subscription[] }[];
}

/**
 * The checks across the config: every subscription names a target the top
 * level defines, target names are unique, and email needs an SMTP server.
 */
export function checkNotify(site: { notify?: SiteNotify; pages: Subscribers[] }, ctx: z.RefinementCtx): void {
  const targets = site.notify?.targets ?? [];
  const names = targets.map((t) => t.name);
  targets.forEach((t, i) => {
    if (names.indexOf(t.name) !== i) ctx.addIssue({ code: 'custom', path: ['notify', 'targets', i, 'name'], message: `duplicate target name "${t.name}" (first used at index ${names.indexOf(t.name)})` });
    if (t.email && !site.notify?.smtp) ctx.addIssue({ code: 'custom', path: ['notify', 'targets', i, 'email'], message: 'needs notify.smtp: the SMTP server that sends the email' });
  });
  const known = (path: (string | number)[], list: Subscription[] | undefined) =>
    list?.forEach((s, i) => {
      if (!names.includes(s.target)) {
        const hint = names.length ? `targets are ${names.join(', ')}` : 'define targets under notify.targets at the top level';
        ctx.addIssue({ code: 'custom', path: [...path, 'notify', i, 'target'], message: `no target named "${s.target}"; ${hint}` });
      }
    });
  site.pages.forEach((p, pi) => {
    known(['pages', pi], p.notify);
    p.buttons.forEach((b, bi) => known(['pages', pi, 'buttons', bi], b.notify));
  });
}
