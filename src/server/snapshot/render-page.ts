/**
 * The snapshot's screens: the index, a page (values, docs, export, buttons
 * with their latest report) and a page's history. Each returns the HTML text
 * of one file; links are relative to where that file lies.
 */
import type { Translate } from '../../core/i18n.ts';
import { utcText } from '../../core/time.ts';
import type { Docs } from '../docs.ts';
import type { ButtonSnapshot, PageSnapshot, SiteSnapshot } from './collect.ts';
import { documentHtml, html, snapshotLinks, type Html } from './html.ts';
import { changesList, valuesList } from './render-values.ts';
import { reportFileName } from './report-file.ts';

export function indexHtml(s: SiteSnapshot, t: Translate): string {
  const body = html`<h1>${s.site.toplevel_title}</h1>
<p class="muted">${t('snapshot.intro', { time: utcText(s.created) })}</p>
<section aria-labelledby="pages">
<h2 id="pages">${t('snapshot.pages')}</h2>
${s.pages.length === 0 ? html`<p>${t('snapshot.noPages')}</p>` : html`<ul class="pages">${s.pages.map((p) => html`<li><a href="${p.page.slug}/index.html">${p.page.title}</a></li>`)}</ul>`}
${s.leftOut > 0 && html`<p class="muted small" data-left-out="${s.leftOut}">${t(`snapshot.leftOut.${s.audience}`, { count: s.leftOut })}</p>`}
</section>`;
  return documentHtml({ lang: s.lang, title: t('snapshot.title'), siteTitle: s.site.toplevel_title, root: '', body });
}

const slugsOf = (s: SiteSnapshot) => new Set(s.pages.map((p) => p.page.slug));

/** A page's or a button's docs (from a page file, one folder below the root). */
function docsHtml(s: SiteSnapshot, docs: Docs | undefined): Html | '' {
  if (!docs) return '';
  return docs.html ? html`<div class="docs">${snapshotLinks(docs.html, '../', slugsOf(s))}</div>` : html`<p class="muted small">${docs.problem}</p>`;
}

function lastSaveLine(p: PageSnapshot, t: Translate): string {
  const save = p.current.lastSave;
  return save ? t('snapshot.lastSave', { id: save.id, author: save.author, time: utcText(save.savedAt) }) : t('snapshot.neverSaved');
}

export function pageHtml(s: SiteSnapshot, p: PageSnapshot, t: Translate): string {
  const { page } = p;
  const body = html`<p><a href="../index.html">${t('snapshot.allPages')}</a></p>
<h1>${page.title}</h1>
<p class="muted small">${t('snapshot.readOnly', { time: utcText(s.created) })}</p>
${p.descriptionHtml && html`<div class="docs">${snapshotLinks(p.descriptionHtml, '../', slugsOf(s))}</div>`}
${docsHtml(s, p.docs)}
<section aria-labelledby="values">
<h2 id="values">${t('snapshot.values')}</h2>
<p class="muted small">${lastSaveLine(p, t)}</p>
${page.parameters.length > 0 ? valuesList(page.parameters, p.current.values, t) : html`<p>${t('snapshot.noValues')}</p>`}
<p><a href="history.html">${t('snapshot.history')}</a> · <a href="${page.slug}.yaml">${t('snapshot.export', { file: `${page.slug}.yaml` })}</a></p>
</section>
${p.buttons.length > 0 && html`<section aria-labelledby="buttons">
<h2 id="buttons">${t('snapshot.buttons')}</h2>
${p.buttons.map((b) => buttonHtml(s, b, t))}
</section>`}`;
  return documentHtml({ lang: s.lang, title: page.title, siteTitle: s.site.toplevel_title, root: '../', body });
}

function buttonHtml(s: SiteSnapshot, b: ButtonSnapshot, t: Translate): Html {
  const { run, report } = b;
  return html`<div class="card" data-button="${b.button.name}">
<h3>${b.button.label ?? b.button.name}</h3>
${docsHtml(s, b.docs)}
${!run ? html`<p class="muted small">${t('snapshot.noRun')}</p>` : html`<ul class="facts small">
<li>${t('snapshot.run', { id: run.id })}</li>
<li>${t('snapshot.state')} <strong data-state="${run.state}">${t(`runs.states.${run.state}`)}</strong></li>
${run.finishedAt && html`<li>${t('snapshot.ended')} <time datetime="${run.finishedAt}">${utcText(run.finishedAt)}</time></li>`}
${run.exitCode !== null && html`<li>${t('snapshot.exitCode')} <span class="mono">${run.exitCode}</span></li>`}
</ul>
${report ? reportHtml(b, t) : html`<p class="muted small">${t('snapshot.noReport')}</p>`}`}
</div>`;
}

/** An HTML report in a sandboxed frame (the file beside the page); a text report inline, and as its file too. */
function reportHtml(b: ButtonSnapshot, t: Translate): Html {
  const report = b.report!;
  const file = reportFileName(b.button.name, report.type);
  const cut = report.truncated && html`<p class="muted small">${t('snapshot.reportTruncated')}</p>`;
  if (report.type === 'html') {
    return html`<iframe class="report" sandbox src="${file}" title="${t('snapshot.reportTitle', { id: b.run!.id })}"></iframe>
${cut}<p class="small"><a href="${file}">${t('snapshot.openReport')}</a></p>`;
  }
  return html`<pre data-report>${report.body}</pre>${cut}<p class="small"><a href="${file}">${t('snapshot.openReport')}</a></p>`;
}

export function historyHtml(s: SiteSnapshot, p: PageSnapshot, t: Translate): string {
  const { page, history } = p;
  const body = html`<p><a href="index.html">${t('snapshot.backTo', { title: page.title })}</a></p>
<h1>${t('history.pageTitle', { title: page.title })}</h1>
<p class="muted small">${t('history.intro')}</p>
<section>
${history.entries.length === 0 ? html`<p>${t('history.empty')}</p>` : html`<ol class="saves">${history.entries.map(
  (e) => html`<li data-version="${e.id}">
<h2>${t('history.version', { id: e.id })}</h2>
<p class="muted small">${t('snapshot.savedBy', { author: e.author, time: utcText(e.savedAt) })}</p>
${e.reason && html`<p class="small">${t('history.reason')} ${e.reason}</p>`}
${changesList(e.changes, t)}
${e.publication?.state === 'committed' && e.publication.sha && html`<p class="muted small">${t('publication.committed')} <code>${e.publication.sha.slice(0, 12)}</code></p>`}
</li>`,
)}</ol>`}
${history.more && html`<p class="muted small">${t('snapshot.olderLeftOut', { count: history.entries.length })}</p>`}
</section>`;
  return documentHtml({ lang: s.lang, title: t('history.pageTitle', { title: page.title }), siteTitle: s.site.toplevel_title, root: '../', body });
}
