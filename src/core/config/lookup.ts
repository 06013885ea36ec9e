/** Finding a page and a button of the site by name: one way, everywhere. */
import type { Button, PageConfig, SiteConfig } from './schema.ts';

export function pageOf(site: SiteConfig, slug: string): PageConfig | undefined {
  return site.pages.find((p) => p.slug === slug);
}

export function buttonOf(site: SiteConfig, slug: string, name: string): Button | undefined {
  return pageOf(site, slug)?.buttons.find((b) => b.name === name);
}
