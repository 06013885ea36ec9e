/**
 * The snapshot's stylesheet, written beside its index. Its own and small
 * rather than the app's built Tailwind file: that one follows a `dark` class
 * that a script sets, and the snapshot has no script (and must not depend on
 * a build). The colours are the app's (Tailwind's slate, sky, red and emerald),
 * light and dark by the reader's system setting, chosen for 4.5:1 contrast.
 */
export const STYLESHEET = `:root {
  color-scheme: light dark;
  --bg: #f8fafc; --fg: #0f172a; --muted: #475569; --card: #ffffff; --line: #e2e8f0; --link: #0369a1;
  --old-bg: #fee2e2; --old-fg: #7f1d1d; --new-bg: #d1fae5; --new-fg: #064e3b; --code: #f1f5f9;
}
@media (prefers-color-scheme: dark) {
  :root {
    --bg: #0f172a; --fg: #f1f5f9; --muted: #94a3b8; --card: #1e293b; --line: #334155; --link: #7dd3fc;
    --old-bg: #450a0a; --old-fg: #fecaca; --new-bg: #022c22; --new-fg: #a7f3d0; --code: #0f172a;
  }
}
*, *::before, *::after { box-sizing: border-box; }
body { margin: 0; background: var(--bg); color: var(--fg); font: 15px/1.5 ui-sans-serif, system-ui, sans-serif; }
a { color: var(--link); }
a:focus-visible { outline: 2px solid #0ea5e9; outline-offset: 2px; }
.bar { display: flex; align-items: center; min-height: 3.5rem; padding: 0 1rem; border-bottom: 1px solid var(--line); background: var(--card); }
.bar .site { font-weight: 600; color: var(--fg); text-decoration: none; overflow-wrap: anywhere; }
main { max-width: 56rem; margin: 0 auto; padding: 1rem; }
h1 { font-size: 1.5rem; margin: 0.5rem 0; overflow-wrap: anywhere; }
h2 { font-size: 1.15rem; margin: 0 0 0.75rem; }
h3 { font-size: 1rem; margin: 0 0 0.5rem; }
section, .card { background: var(--card); border: 1px solid var(--line); border-radius: 0.5rem; padding: 1rem 1.25rem; margin: 1rem 0; }
.muted { color: var(--muted); }
.small { font-size: 0.875rem; }
code, pre, .mono { font-family: ui-monospace, SFMono-Regular, Menlo, monospace; font-size: 0.85em; }
pre { background: var(--code); border: 1px solid var(--line); border-radius: 0.375rem; padding: 0.75rem; overflow-x: auto; white-space: pre-wrap; overflow-wrap: anywhere; }
dl.values { display: grid; grid-template-columns: minmax(8rem, 1fr) 2fr; gap: 0.5rem 1rem; margin: 0; }
dl.values dt { font-weight: 600; overflow-wrap: anywhere; }
dl.values dd { margin: 0; overflow-wrap: anywhere; }
dl.values ul { margin: 0; padding-left: 1.25rem; }
@media (max-width: 40rem) { dl.values { grid-template-columns: 1fr; gap: 0.15rem; } dl.values dd { margin-bottom: 0.6rem; } }
ul.pages { padding-left: 1.25rem; }
ul.pages li { margin: 0.35rem 0; }
.value-old { background: var(--old-bg); color: var(--old-fg); text-decoration: line-through; border-radius: 0.25rem; padding: 0 0.25rem; font-family: ui-monospace, monospace; }
.value-new { background: var(--new-bg); color: var(--new-fg); border-radius: 0.25rem; padding: 0 0.25rem; font-family: ui-monospace, monospace; }
ol.saves { list-style: none; padding: 0; margin: 0; }
ol.saves > li { border-top: 1px solid var(--line); padding: 0.75rem 0; }
ol.saves > li:first-child { border-top: 0; }
ul.changes { margin: 0.25rem 0 0; padding-left: 1.25rem; overflow-wrap: anywhere; }
iframe.report { width: 100%; height: 24rem; border: 1px solid var(--line); border-radius: 0.375rem; background: #ffffff; }
.facts { display: flex; flex-wrap: wrap; gap: 0.25rem 1.25rem; margin: 0.25rem 0 0.75rem; padding: 0; list-style: none; }
.docs :first-child { margin-top: 0; }
`;
