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

Alpine.start();
