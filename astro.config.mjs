// @ts-check
import { defineConfig } from 'astro/config';
import node from '@astrojs/node';
import tailwindcss from '@tailwindcss/vite';

export default defineConfig({
  output: 'server',
  // 32 MiB, as src/web/errors.ts says: the adapter's default would let one request hold 1 GiB.
  // Streaming off: a page is rendered to one string and sent in one write with a Content-Length. Measured
  // neutral against streaming (npm run bench:profile); kept for the Content-Length.
  adapter: node({ mode: 'middleware', bodySizeLimit: 32 * 1024 * 1024, experimentalDisableStreaming: true }),
  // The same cross-site check runs in src/web/origin.ts, which answers JSON clients in JSON.
  security: { checkOrigin: false },
  build: { inlineStylesheets: 'never' },
  vite: {
    plugins: [tailwindcss()],
    // Everything ships as files from this origin, so the CSP can stay at script-src 'self'.
    build: { assetsInlineLimit: 0 },
  },
  devToolbar: { enabled: false },
});
