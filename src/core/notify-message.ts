/**
 * What a notification says. The webhook body (versioned, documented in the
 * README) is built once per event; an email is written from that same body,
 * so a person and a receiving system are told the same thing.
 */
import type { SiteConfig } from './config/schema.ts';
import { EVENT_SCHEMA, type EventType } from './notify-events.ts';
import { pageOf } from './config/lookup.ts';
import { translator, type Translate } from './i18n.ts';
import { DEFAULT_LANGUAGE, type Language } from './languages.ts';

export interface StoredEvent {
  uid: string;
  type: EventType;
  page: string | null;
  button: string | null;
  at: string;
  data: Record<string, unknown>;
}

type Json = Record<string, unknown>;

/** Adds the address people open to each thing the event names, when it has one. */
function withLinks(e: StoredEvent, base: string): Json {
  const data: Json = structuredClone(e.data);
  const run = data.run as Json | undefined;
  if (run) run.url = `${base}/runs/${String(run.id)}`;
  const change = data.change as Json | undefined;
  if (change && e.page) change.url = `${base}/page/${e.page}/history?before=${Number(change.id) + 1}#version-${String(change.id)}`;
  return data;
}

/** The webhook body: the same bytes for every target of the event. */
export function eventBody(e: StoredEvent, site: SiteConfig, publicUrl: string): Json {
  const page = e.page ? pageOf(site, e.page) : undefined;
  const button = e.button ? page?.buttons.find((b) => b.name === e.button) : undefined;
  return {
    schema: EVENT_SCHEMA,
    id: e.uid,
    type: e.type,
    created_at: e.at,
    site: { title: site.toplevel_title, url: publicUrl },
    page: e.page ? { slug: e.page, title: page?.title ?? e.page, url: `${publicUrl}/page/${e.page}` } : null,
    button: e.button ? { name: e.button, label: button?.label ?? e.button } : null,
    data: withLinks(e, publicUrl),
  };
}

/**
 * The body with the site's, page's and button's names as `site` words them:
 * an email goes out in its target's language, titles included, while the
 * webhook body keeps the default language's.
 */
export function namedIn(body: Json, site: SiteConfig): Json {
  const slug = (body.page as Json | null)?.slug;
  const page = typeof slug === 'string' ? pageOf(site, slug) : undefined;
  const name = (body.button as Json | null)?.name;
  const button = page?.buttons.find((b) => b.name === name);
  return {
    ...body,
    site: { ...(body.site as Json), title: site.toplevel_title },
    page: body.page && page ? { ...(body.page as Json), title: page.title } : body.page,
    button: body.button && button ? { ...(body.button as Json), label: button.label } : body.button,
  };
}

export interface Message {
  subject: string;
  text: string;
  html: string;
}

const clip = (v: unknown, n = 200) => {
  const s = v === null || v === undefined ? '(empty)' : typeof v === 'string' ? v : JSON.stringify(v);
  return s.length > n ? `${s.slice(0, n - 1)}…` : s;
};

function seconds(ms: unknown): string {
  const n = Number(ms);
  if (!Number.isFinite(n)) return '';
  return n < 60_000 ? `${(n / 1000).toFixed(n < 10_000 ? 1 : 0)} s` : `${Math.floor(n / 60_000)} min ${Math.round((n % 60_000) / 1000)} s`;
}

/** The one-line summary and the detail lines of an event, from its body, in the words of `t`. */
function describe(body: Json, t: Translate): { summary: string; lines: [string, string][]; link?: string } {
  const data = body.data as Json;
  const where = [(body.page as Json | null)?.title, (body.button as Json | null)?.label].filter(Boolean).join(' › ');
  const type = String(body.type);
  if (type.startsWith('run.')) {
    const run = data.run as Json;
    const exit = run.exit_code == null ? '' : t('mail.exitCode', { code: String(run.exit_code) });
    const lines: [string, string][] = [[t('mail.run'), `${String(run.id)}${run.external ? t('mail.external') : ''}`], [t('mail.startedBy'), String(run.requested_by)]];
    if (run.duration_ms != null) lines.push([t('mail.took'), seconds(run.duration_ms)]);
    if (run.error) lines.push([t('mail.error'), clip(run.error, 500)]);
    if (run.message) lines.push([t('mail.lastMessage'), clip(run.message, 500)]);
    return { summary: t('mail.runSummary', { where, id: String(run.id), state: t(`mail.states.${String(run.state)}`) }) + exit, lines, link: String(run.url) };
  }
  if (type === 'values.saved' || type === 'values.restored') {
    const change = data.change as Json;
    const changes = (change.changes as Json[]) ?? [];
    const lines: [string, string][] = changes.slice(0, 20).map((c) => [String(c.name), `${clip(c.before)} → ${clip(c.after)}`]);
    if (changes.length > 20) lines.push(['…', t('mail.more', { count: changes.length - 20 })]);
    const words = { where, author: String(change.author), id: String(change.id), from: String(change.restored_from) };
    return { summary: t(type === 'values.restored' ? 'mail.restored' : 'mail.saved', words), lines, link: change.url ? String(change.url) : undefined };
  }
  if (type === 'publication.failed') {
    const p = data.publication as Json;
    const words = { where, id: String((data.change as Json).id), attempts: String(p.attempts) };
    return { summary: t(p.state === 'conflict' ? 'mail.conflict' : 'mail.publishFailed', words), lines: [[t('mail.error'), clip(p.error, 500)]], link: `${String((body.page as Json).url)}/history` };
  }
  if (type === 'schedule.missed') {
    const s = data.schedule as Json;
    return {
      summary: t('mail.missed', { where, count: Number(s.missed), atLeast: s.at_least ? t('mail.atLeast') : '' }),
      lines: [[t('mail.firstMissed'), String(s.first_missed)], [t('mail.lastMissed'), String(s.last_missed)]],
      link: String((body.page as Json).url),
    };
  }
  return { summary: t('mail.test', { site: String((body.site as Json).title) }), lines: [[t('mail.sentBy'), String(data.sent_by ?? '')]] };
}

const escapeHtml = (s: string) => s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);

/** The email for an event in a language: plain text and HTML, with a link to the run or the change. */
export function emailFor(body: Json, lang: Language = DEFAULT_LANGUAGE): Message {
  const t = translator(lang);
  const { summary, lines, link } = describe(body, t);
  const site = String((body.site as Json).title);
  const footer = t('mail.footer', { type: String(body.type), id: String(body.id) });
  const text = [summary, '', ...lines.map(([k, v]) => `${k}: ${v}`), ...(link ? ['', `${t('mail.open')}: ${link}`] : []), '', `— ${site} (${footer})`].join('\n');
  const rows = lines.map(([k, v]) => `<tr><th align="left" style="padding:2px 12px 2px 0">${escapeHtml(k)}</th><td>${escapeHtml(v)}</td></tr>`).join('');
  const html = `<!doctype html><html lang="${lang}"><body style="font-family:system-ui,sans-serif;color:#0f172a">
<p style="font-size:16px"><strong>${escapeHtml(summary)}</strong></p>
${rows ? `<table style="border-collapse:collapse;font-size:14px">${rows}</table>` : ''}
${link ? `<p><a href="${escapeHtml(link)}">${escapeHtml(t('mail.openIn', { site }))}</a></p>` : ''}
<p style="color:#475569;font-size:12px">${escapeHtml(site)} · ${escapeHtml(footer)}</p>
</body></html>`;
  // One line: a config title or a value with a line break must not start a header of its own.
  return { subject: `[${site}] ${summary}`.replace(/[\r\n]+/g, ' ').slice(0, 250), text, html };
}
