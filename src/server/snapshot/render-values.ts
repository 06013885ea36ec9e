/**
 * Values and changes as the snapshot shows them: each parameter type in its
 * own way (a list for a multiselect, on/off for a box, a date as a <time>),
 * a secret only as set or not set, a change as the app's history shows it.
 */
import type { Parameter, Value } from '../../core/config/schema.ts';
import { secretChange, type ValueChange } from '../../core/diff.ts';
import type { Translate } from '../../core/i18n.ts';
import { displayValue, isSet } from '../../core/values.ts';
import { html, type Html } from './html.ts';

/** One value in a parameter's way. A secret's value is never looked at beyond whether it is set. */
export function valueHtml(p: Parameter, v: Value | undefined, t: Translate): Html {
  if (p.type === 'secret') return html`${t(isSet(v) ? 'snapshot.secret.set' : 'snapshot.secret.notSet')}`;
  if (p.type === 'boolean') return html`${t(v === true ? 'snapshot.on' : 'snapshot.off')}`;
  if (Array.isArray(v)) return v.length > 0 ? html`<ul>${v.map((o) => html`<li>${o}</li>`)}</ul>` : html`<span class="muted">${t('fields.value.none')}</span>`;
  if (v === undefined || v === null || v === '') return html`<span class="muted">${t('fields.value.empty')}</span>`;
  if ((p.type === 'date' || p.type === 'datetime') && typeof v === 'string') return html`<time datetime="${v}">${v}</time>`;
  if (p.type === 'textarea') return html`<pre>${displayValue(v, t)}</pre>`;
  return html`${displayValue(v, t)}`;
}

/** The page's values as a definition list: label, name, value, help. */
export function valuesList(parameters: Parameter[], values: Record<string, Value>, t: Translate): Html {
  return html`<dl class="values">${parameters.map(
    (p) => html`<dt>${p.label ?? p.name} <span class="mono muted small">(${p.name})</span></dt>
<dd data-parameter="${p.name}">${valueHtml(p, values[p.name], t)}${p.help_text ? html`<div class="muted small">${p.help_text}</div>` : ''}</dd>`,
  )}</dl>`;
}

/** What one save changed, as the app's ChangeList says it; a secret only as set, cleared or changed. */
export function changesList(changes: ValueChange[], t: Translate): Html {
  if (changes.length === 0) return html`<p class="muted small">${t('history.noChanges')}</p>`;
  return html`<ul class="changes small">${changes.map(
    (c) => html`<li data-change="${c.name}"><strong>${c.label}</strong> <span class="mono muted">(${c.name})</span>${t('history.colon')} ${
      c.secret
        ? html`<span class="value-new">${t(`history.secret.${secretChange(c)}`)}</span>`
        : html`<span class="value-old">${displayValue(c.before, t)}</span> <span aria-label="${t('history.changedTo')}">→</span> <span class="value-new">${displayValue(c.after, t)}</span>`
    }</li>`,
  )}</ul>`;
}
