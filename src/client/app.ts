// Alpine's CSP build: components are registered here by name, and templates
// only call them, so the page needs no 'unsafe-eval'.
import Alpine from 'alpinejs';
import { fileSize, localText, runDurationText, utcText, type RunTimes } from '../core/time.ts';
import { isFinal } from '../protocol/states.ts';
import { figureText, type ChartedFigures } from '../core/figures.ts';
import type { RunJson } from '../server/runs/json.ts';
import { fill, pageLang, words } from './words.ts';
import { CONFIRMED_FIELD, fillConfirm } from '../core/confirm.ts';
import type { Value } from '../core/config/schema.ts';

Alpine.data('shell', () => ({
  navOpen: false,
  toggleNav() {
    this.navOpen = !this.navOpen;
  },
  closeNav() {
    this.navOpen = false;
  },
}));

Alpine.data('themeToggle', () => ({
  dark: document.documentElement.classList.contains('dark'),
  toggle() {
    this.dark = !this.dark;
    document.documentElement.classList.toggle('dark', this.dark);
    try {
      localStorage.setItem('switchyard-theme', this.dark ? 'dark' : 'light');
    } catch {
      /* private mode: the choice lasts for this page only */
    }
  },
  get label() {
    return this.dark ? words().lightTheme : words().darkTheme;
  },
}));

/**
 * Marks the page form as changed and asks before leaving with unsaved edits.
 * It wraps the page form and the export form, whose submits both leave (or
 * download) knowingly.
 */
Alpine.data('editor', () => ({
  dirty: false,
  leaving: false,
  init() {
    // An edit after a submit that stayed on the page (an export downloads) is unsaved again.
    this.$el.addEventListener('input', () => {
      this.dirty = true;
      this.leaving = false;
    });
    this.$el.addEventListener('submit', () => (this.leaving = true));
    window.addEventListener('beforeunload', (e) => {
      if (this.dirty && !this.leaving) e.preventDefault();
    });
  },
  /** The export form sends the values as typed in the page form, in place of the copies it was rendered with. */
  withTypedValues(event: FormDataEvent) {
    const source = document.getElementById((event.target as HTMLElement).dataset.valuesFrom ?? '');
    if (!(source instanceof HTMLFormElement)) return;
    for (const name of [...event.formData.keys()]) if (name !== 'filename') event.formData.delete(name);
    for (const [name, value] of new FormData(source)) event.formData.append(name, value);
  },
}));

/** Keeps a run's state, progress, message and log current from its event stream (/runs/<id>). */
Alpine.data('runLive', () => ({
  source: undefined as EventSource | undefined,
  init() {
    const el = this.$el;
    if (el.dataset.final === 'true') return;
    const source = new EventSource(`/runs/${el.dataset.runId}?after=${el.dataset.lastSeq ?? 0}`);
    this.source = source;
    source.addEventListener('run', (e) => this.applyRun(JSON.parse((e as MessageEvent).data) as RunJson));
    source.addEventListener('log', (e) => this.appendLines((JSON.parse((e as MessageEvent).data) as { lines: { seq: number; stream: string; text: string }[] }).lines));
    source.addEventListener('end', () => source.close());
  },
  destroy() {
    this.source?.close();
  },
  part(role: string): HTMLElement | null {
    return this.$el.querySelector(`[data-role="${role}"]`);
  },
  applyRun(run: RunJson) {
    // For the parts of the page outside this component that follow the run (runMeta).
    this.$dispatch('run-update', run);
    const badge = this.$el.querySelector<HTMLElement>('.run-state');
    if (badge) {
      badge.dataset.state = run.state;
      badge.textContent = words().states[run.state] ?? run.state;
    }
    const message = this.part('message');
    if (message) message.textContent = run.message ?? '';
    const bar = this.part('progress') as HTMLProgressElement | null;
    const percent = this.part('percent');
    if (run.progress !== null) {
      if (bar) bar.value = run.progress;
      if (percent) percent.textContent = `${Math.round(run.progress)} %`;
    } else if (isFinal(run.state) && bar) bar.value = 100;
    if (run.error) {
      let error = this.part('error');
      if (!error) {
        error = document.createElement('p');
        error.dataset.role = 'error';
        error.className = 'text-sm text-red-700 dark:text-red-400';
        this.part('log')?.before(error);
      }
      error.textContent = run.error;
    }
    if (isFinal(run.state) && this.$el.dataset.compact !== 'true') {
      document.querySelectorAll<HTMLElement>('[data-while-running]').forEach((e) => (e.hidden = true));
      document.querySelectorAll<HTMLElement>('[data-once-ended]').forEach((e) => (e.hidden = false));
    }
    // The run page shows the report as soon as there is one.
    const report = document.getElementById('report');
    if (run.report && report && this.$el.dataset.compact !== 'true' && report.hidden) {
      const frame = report.querySelector('iframe');
      if (frame) frame.src = frame.dataset.src ?? '';
      report.hidden = false;
    }
    // Its figures, once it has ended, worded as the page words them (labels and units of its button's metrics:).
    const figures = document.getElementById('figures');
    if (isFinal(run.state) && Object.keys(run.metrics ?? {}).length && figures?.hidden && this.$el.dataset.compact !== 'true') {
      figures.querySelector('[data-figures]')?.replaceChildren(...figureItems(run.metrics, JSON.parse(figures.dataset.charted ?? '{}') as ChartedFigures));
      figures.hidden = false;
    }
    // And the files it left, once it has ended (they are sent just before the end).
    const files = document.getElementById('files');
    if (run.artifacts?.length && files?.hidden && this.$el.dataset.compact !== 'true') {
      files.querySelector('[data-files]')?.replaceChildren(...run.artifacts.map(fileItem));
      files.hidden = false;
    }
  },
  appendLines(lines: { seq: number; stream: string; text: string }[]) {
    const log = this.part('log');
    if (!log) return;
    const atBottom = log.scrollHeight - log.scrollTop - log.clientHeight < 24;
    const fragment = document.createDocumentFragment();
    for (const l of lines) {
      const li = document.createElement('li');
      li.dataset.stream = l.stream;
      li.dataset.seq = String(l.seq);
      li.textContent = l.text || ' ';
      fragment.append(li);
    }
    log.append(fragment);
    const keep = this.$el.dataset.compact === 'true' ? 200 : 2000;
    while (log.childElementCount > keep) log.firstElementChild?.remove();
    if (atBottom) log.scrollTop = log.scrollHeight;
  },
}));

/** After a refused save, focus lands on the list of problems; each entry takes you to its field. */
Alpine.data('errorSummary', () => ({
  init() {
    this.$el.focus();
  },
  goToField(event: Event) {
    const link = (event.target as HTMLElement).closest('a');
    const field = link && document.getElementById(decodeURIComponent(link.hash.slice(1)));
    if (!field) return;
    event.preventDefault();
    field.focus();
    field.scrollIntoView({ block: 'center' });
  },
}));

/**
 * Shows a field only while the fields its visible_when names have those
 * values (and show themselves), as the server decides on save
 * (isVisible in src/core/fields.ts): hidden fields are not required there.
 */
Alpine.data('visibleWhen', () => ({
  init() {
    const apply = () => this.apply();
    this.$el.addEventListener('input', apply);
    this.$el.addEventListener('change', apply);
    apply();
  },
  apply() {
    const form = this.$el as HTMLFormElement;
    const wrappers = new Map([...form.querySelectorAll<HTMLElement>('[data-field]')].map((el) => [el.dataset.field!, el]));
    const data = new FormData(form);
    const shows = (el: HTMLElement): boolean => {
      const when = el.dataset.visibleWhen ? (JSON.parse(el.dataset.visibleWhen) as Record<string, unknown>) : {};
      return Object.entries(when).every(([name, wanted]) => {
        const other = wrappers.get(name);
        return !!other && holds(other.dataset.type ?? 'text', data.getAll(name).map(String), wanted) && shows(other);
      });
    };
    for (const el of wrappers.values()) if (el.dataset.visibleWhen) el.hidden = !shows(el);
  },
}));

/** Whether a field's form entries give it the value `wanted` (a multiselect: contains it). */
/** A run's figures as the run page lists them: a term (its label, or its name) and its value in its unit. */
function figureItems(metrics: Record<string, number>, charted: ChartedFigures): HTMLElement[] {
  return Object.entries(metrics).flatMap(([name, value]) => {
    const dt = document.createElement('dt');
    const dd = document.createElement('dd');
    const declared = charted[name];
    dt.textContent = declared?.label ?? name;
    if (!declared) dt.className = 'font-mono muted';
    dd.className = 'tabular-nums';
    dd.textContent = figureText(value, declared?.unit ?? 'number', pageLang());
    return [dt, dd];
  });
}

/** One file of a run, as the run page lists it: a download link and its size. */
function fileItem(file: RunJson['artifacts'][number]): HTMLLIElement {
  const li = document.createElement('li');
  const link = document.createElement('a');
  link.className = 'font-mono text-sky-700 underline hover:no-underline dark:text-sky-400';
  link.href = file.url;
  link.download = '';
  link.textContent = file.name;
  const size = document.createElement('span');
  size.className = 'muted';
  size.textContent = `(${fileSize(file.size, pageLang())})`;
  li.append(link, ' ', size);
  return li;
}

function holds(type: string, entries: string[], wanted: unknown): boolean {
  const text = entries[0] ?? '';
  if (type === 'boolean') return (entries.length > 0 && text !== '') === wanted;
  if (type === 'multiselect') return entries.includes(String(wanted));
  if (type === 'integer' || type === 'number') return text.trim() !== '' && Number(text.trim()) === wanted;
  return text === wanted;
}

/**
 * The run page's line about the run: runner, duration, end and exit code
 * follow the run's events (from runLive), and the duration counts on each
 * second while the run goes on, on the server's clock.
 */
Alpine.data('runMeta', () => ({
  times: { started_at: null, finished_at: null } as RunTimes,
  skew: 0,
  timer: undefined as number | undefined,
  init() {
    const d = this.$el.dataset;
    this.skew = Date.parse(d.serverNow ?? '') - Date.now() || 0;
    this.times = { started_at: d.startedAt || null, finished_at: d.finishedAt || null };
    this.tick();
  },
  destroy() {
    clearInterval(this.timer);
  },
  update(event: CustomEvent<RunJson>) {
    const run = event.detail;
    if (String(run.id) !== this.$el.dataset.runId) return;
    this.times = { started_at: run.started_at, finished_at: run.finished_at };
    this.show('runner', run.runner);
    this.show('ended', run.finished_at);
    this.show('exit', run.exit_code === null ? null : String(run.exit_code));
    this.show('cancel', run.cancel_requested_by);
    const waiting = this.$el.querySelector<HTMLElement>('[data-part="waiting"]');
    if (waiting && run.state !== 'queued') waiting.hidden = true;
    this.tick();
  },
  tick() {
    const say = (phrase: 'took' | 'runningFor', duration: string) => fill(words()[phrase], { duration });
    this.show('duration', runDurationText(this.times, Date.now() + this.skew, say, pageLang()) ?? null);
    const running = this.times.started_at !== null && this.times.finished_at === null;
    if (running && this.timer === undefined) this.timer = window.setInterval(() => this.tick(), 1000);
    if (!running && this.timer !== undefined) {
      clearInterval(this.timer);
      this.timer = undefined;
    }
  },
  /** Shows a part with its value, or hides it when there is none. */
  show(part: string, value: string | null) {
    const el = this.$el.querySelector<HTMLElement>(`[data-part="${part}"]`);
    if (!el) return;
    el.hidden = value === null;
    const slot = el.querySelector<HTMLElement>('time, [data-value]');
    if (!slot || value === null) return;
    if (slot instanceof HTMLTimeElement) {
      slot.dateTime = value;
      slot.title = value;
    }
    slot.textContent = slot instanceof HTMLTimeElement ? utcText(value) : value;
  },
}));

/**
 * The dashboard and the runs list stay current without a reload: every
 * data-every ms, while the tab is shown, the page is fetched again and the
 * region's content replaced when it changed. It asks the database through
 * whichever app process answers, so it is right with several processes
 * (a per-process signal would miss what another process did). Not while
 * focus is inside the region, so keyboard users keep their place.
 */
Alpine.data('liveRegion', () => ({
  timer: undefined as number | undefined,
  last: '',
  busy: false,
  init() {
    this.timer = window.setInterval(() => void this.refresh(), Number(this.$el.dataset.every) || 5000);
  },
  destroy() {
    clearInterval(this.timer);
  },
  async refresh() {
    const el = this.$el;
    if (document.hidden || this.busy || el.contains(document.activeElement)) return;
    this.busy = true;
    try {
      const res = await fetch(location.href, { headers: { accept: 'text/html' } });
      if (!res.ok || res.redirected) return;
      const fresh = new DOMParser().parseFromString(await res.text(), 'text/html').getElementById(el.id);
      if (!fresh || fresh.innerHTML === this.last) return;
      this.last = fresh.innerHTML;
      el.replaceChildren(...document.adoptNode(fresh).childNodes);
      el.dataset.refreshedAt = new Date().toISOString();
      el.dispatchEvent(new CustomEvent('live-refreshed', { bubbles: true }));
    } catch {
      /* offline for a moment: the next round tries again */
    } finally {
      this.busy = false;
    }
  },
}));

/** Copies a one-time secret; where the clipboard is not allowed (plain HTTP), selects it for Ctrl-C. */
Alpine.data('copySecret', () => ({
  copied: '',
  select() {
    (this.$refs.secret as HTMLInputElement).select();
  },
  async copy() {
    const input = this.$refs.secret as HTMLInputElement;
    try {
      await navigator.clipboard.writeText(input.value);
      this.copied = words().copied;
    } catch {
      input.focus();
      input.select();
      this.copied = words().selected;
    }
  },
}));

/**
 * A button with inputs asks them in its own dialog (RunButton.astro): opening
 * puts focus on the first field; Cancel or Escape closes it and gives focus
 * back to the button. The browser checks the fields' limits before it posts,
 * and the server checks everything again (a refusal comes back as a page).
 */
Alpine.data('runInputs', () => ({
  opener: null as HTMLElement | null,
  open(event: Event) {
    this.opener = event.currentTarget as HTMLElement;
    const dialog = this.$refs.dialog as HTMLDialogElement;
    dialog.showModal();
    dialog.querySelector<HTMLElement>('input, select, textarea')?.focus();
    dialog.addEventListener('close', () => this.opener?.focus(), { once: true });
  },
  close() {
    (this.$refs.dialog as HTMLDialogElement).close();
  },
}));

/**
 * Destructive actions ask first, in the app's own dialog: a form with
 * data-confirm submits only after Confirm. Escape or Cancel closes the dialog
 * and puts focus back on the button that opened it.
 */
function askFirst(dialog: HTMLDialogElement): void {
  let pending: { form: HTMLFormElement; submitter: HTMLElement | null } | undefined;
  const part = (id: string) => dialog.querySelector<HTMLElement>(`#${id}`)!;
  // The dialog's own words, as the server wrote them in the page's language, are the defaults.
  const defaults = Object.fromEntries(['confirm-title', 'confirm-go', 'confirm-back'].map((id) => [id, part(id).textContent ?? '']));
  document.addEventListener(
    'submit',
    (event) => {
      const form = event.target as HTMLFormElement;
      if (!form.dataset.confirm || form.dataset.confirmed === 'yes') return;
      event.preventDefault();
      event.stopImmediatePropagation();
      pending = { form, submitter: event.submitter };
      part('confirm-title').textContent = form.dataset.confirmTitle ?? defaults['confirm-title']!;
      part('confirm-text').textContent = fillConfirm(form.dataset.confirm, enteredValues(form));
      part('confirm-go').textContent = form.dataset.confirmButton ?? defaults['confirm-go']!;
      part('confirm-back').textContent = form.dataset.confirmBack ?? defaults['confirm-back']!;
      dialog.returnValue = '';
      dialog.showModal();
    },
    true,
  );
  dialog.addEventListener('close', () => {
    const asked = pending;
    pending = undefined;
    if (!asked) return;
    if (dialog.returnValue !== 'confirm') {
      (asked.submitter ?? asked.form.querySelector('button'))?.focus();
      return;
    }
    asked.form.dataset.confirmed = 'yes';
    // Tells the server the person confirmed, so it starts the run instead of asking again on a page.
    const confirmedField = asked.form.elements.namedItem(CONFIRMED_FIELD);
    if (confirmedField instanceof HTMLInputElement) confirmedField.value = 'yes';
    asked.form.requestSubmit(asked.submitter as HTMLButtonElement | null);
    delete asked.form.dataset.confirmed;
    if (confirmedField instanceof HTMLInputElement) confirmedField.value = '';
  });
}

/**
 * What the person entered in each field of a run form, as the server fills a
 * confirm text: a box as true or false, a multiselect as its ticked options.
 */
function enteredValues(form: HTMLFormElement): Record<string, Value> {
  const data = new FormData(form);
  const values: Record<string, Value> = {};
  for (const field of form.querySelectorAll<HTMLElement>('[data-field]')) {
    const name = field.dataset.field!;
    // A file input names its file.
    const all = data.getAll(name).map((v) => (typeof v === 'string' ? v : v.name)).filter((v) => v !== '');
    values[name] = field.dataset.type === 'boolean' ? all.length > 0 : field.dataset.type === 'multiselect' ? all : (all[0] ?? '');
  }
  return values;
}

// Times meant for the reader's own clock (a schedule's next moments): the server wrote them in UTC.
// In the page's language, which may not be the browser's.
for (const t of document.querySelectorAll<HTMLTimeElement>('time[data-local]')) t.textContent = localText(t.dateTime, pageLang());

const confirmDialog = document.getElementById('confirm-dialog');
if (confirmDialog instanceof HTMLDialogElement) askFirst(confirmDialog);

Alpine.start();
