// @ts-check
import { defineConfig } from 'astro/config';
import node from '@astrojs/node';
import tailwindcss from '@tailwindcss/vite';

export default defineConfig({
  output: 'server',
  adapter: node({ mode: 'standalone' }),
  security: { checkOrigin: true },
  build: { inlineStylesheets: 'never' },
  vite: {
    plugins: [tailwindcss()],
    // Everything ships as files from this origin, so the CSP can stay at script-src 'self'.
    build: { assetsInlineLimit: 0 },
  },
  devToolbar: { enabled: false },
});
