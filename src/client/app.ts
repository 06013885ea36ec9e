// Alpine's CSP build: components are registered here by name, and templates
// only call them, so the page needs no 'unsafe-eval'.
import Alpine from 'alpinejs';

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
    return this.dark ? 'Switch to light theme' : 'Switch to dark theme';
  },
}));

/** Marks the form as changed and asks before leaving with unsaved edits. */
Alpine.data('editor', () => ({
  dirty: false,
  leaving: false,
  init() {
    this.$el.addEventListener('input', () => (this.dirty = true));
    this.$el.addEventListener('submit', () => (this.leaving = true));
    window.addEventListener('beforeunload', (e) => {
      if (this.dirty && !this.leaving) e.preventDefault();
    });
  },
}));

interface RunJson {
  state: string;
  progress: number | null;
  message: string | null;
  error: string | null;
  report: { type: string } | null;
}

const FINAL = new Set(['succeeded', 'failed', 'cancelled', 'timed_out', 'lost']);

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
    const badge = this.$el.querySelector<HTMLElement>('.run-state');
    if (badge) {
      badge.dataset.state = run.state;
      badge.textContent = run.state.replace('_', ' ');
    }
    const message = this.part('message');
    if (message) message.textContent = run.message ?? '';
    const bar = this.part('progress') as HTMLProgressElement | null;
    const percent = this.part('percent');
    if (run.progress !== null) {
      if (bar) bar.value = run.progress;
      if (percent) percent.textContent = `${Math.round(run.progress)} %`;
    } else if (FINAL.has(run.state) && bar) bar.value = 100;
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
    if (FINAL.has(run.state) && this.$el.dataset.compact !== 'true') {
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

/** Asks before running a button that has `confirm` text in the config. */
Alpine.data('runButton', () => ({
  confirmRun(event: Event) {
    const text = this.$el.dataset.confirm;
    if (text && !window.confirm(text)) event.preventDefault();
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
      this.copied = 'Copied.';
    } catch {
      input.focus();
      input.select();
      this.copied = 'Selected: press Ctrl-C (⌘-C) to copy.';
    }
  },
}));

Alpine.start();
