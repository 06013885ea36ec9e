/** A tiny browser stand-in: keeps cookies, sends Origin on writes, never follows redirects. */
export class Client {
  readonly base: string;
  cookies = new Map<string, string>();

  constructor(base: string) {
    this.base = base;
  }

  cookieHeader(): string {
    return [...this.cookies].map(([k, v]) => `${k}=${v}`).join('; ');
  }

  private keep(res: Response) {
    for (const c of res.headers.getSetCookie()) {
      const [pair] = c.split(';');
      const i = pair!.indexOf('=');
      const name = pair!.slice(0, i);
      const value = pair!.slice(i + 1);
      if (value === '' || /max-age=0/i.test(c)) this.cookies.delete(name);
      else this.cookies.set(name, value);
    }
    return res;
  }

  async get(path: string, headers: Record<string, string> = {}): Promise<Response> {
    return this.keep(await fetch(this.base + path, { redirect: 'manual', headers: { cookie: this.cookieHeader(), ...headers } }));
  }

  async post(path: string, form: Record<string, string> | URLSearchParams, headers: Record<string, string> = {}): Promise<Response> {
    const body = form instanceof URLSearchParams ? form : new URLSearchParams(form);
    return this.keep(
      await fetch(this.base + path, {
        method: 'POST',
        redirect: 'manual',
        body,
        headers: { cookie: this.cookieHeader(), origin: this.base, 'content-type': 'application/x-www-form-urlencoded', ...headers },
      }),
    );
  }

  /** A form POST as a browser sends it, following its redirect: the POST's status and the page it led to. */
  async submit(path: string, form: Record<string, string>): Promise<{ status: number; location?: string; html: string }> {
    const res = await this.post(path, form);
    const location = res.headers.get('location') ?? undefined;
    if (res.status !== 303 || !location) return { status: res.status, html: await res.text() };
    return { status: res.status, location, html: await (await this.get(location)).text() };
  }

  async login(username: string, password: string): Promise<Response> {
    const res = await this.post('/login', { username, password });
    if (res.status !== 303) throw new Error(`login as ${username} failed: ${res.status} ${(await res.text()).slice(0, 200)}`);
    return res;
  }
}

/** A new personal API token for a user, made on the account page as a person would (it is shown once, in the flash). */
export async function apiToken(base: string, username: string, password: string): Promise<string> {
  const c = new Client(base);
  await c.login(username, password);
  return secretOf((await c.submit('/account', { action: 'create-token', name: 'test script' })).html)!;
}

/** The value of the form's hidden revision field in a page's HTML. */
export function revisionOf(html: string): string {
  const m = html.match(/name="_revision" value="(\d+)"/);
  if (!m) throw new Error('no revision field in page');
  return m[1]!;
}

/** The one-time secret (password, token) a page shows in its copy box. */
export function secretOf(html: string): string | undefined {
  return decodeEntities(html.match(/<input[^>]*data-testid="secret"[^>]*>/)?.[0].match(/ value="([^"]*)"/)?.[1] ?? '') || undefined;
}

/** Visible text of the element with a data-testid (nested tags included), tags stripped. */
export function textOf(html: string, testId: string): string | undefined {
  const at = html.indexOf(`data-testid="${testId}"`);
  if (at < 0) return undefined;
  const open = html.lastIndexOf('<', at);
  const tag = html.slice(open + 1).match(/^[a-z0-9]+/)![0];
  const pattern = new RegExp(`<${tag}[\\s>]|</${tag}>`, 'g');
  pattern.lastIndex = open + 1;
  let depth = 1;
  for (let m = pattern.exec(html); m; m = pattern.exec(html)) {
    depth += m[0].startsWith('</') ? -1 : 1;
    if (depth === 0) {
      const inner = html.slice(html.indexOf('>', at) + 1, m.index);
      return decodeEntities(inner.replace(/<[^>]+>/g, ' ').replace(/\s+/g, ' ').trim());
    }
  }
  return undefined;
}

const ENTITIES: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', '#39': "'" };

function decodeEntities(text: string): string {
  return text.replace(/&(amp|lt|gt|quot|#39);/g, (_, e: string) => ENTITIES[e]!);
}

/** A JSON call as an API client makes it. */
export function postJson(c: Client, path: string, body: unknown = {}): Promise<Response> {
  return fetch(c.base + path, {
    method: 'POST',
    redirect: 'manual',
    body: JSON.stringify(body),
    headers: { cookie: c.cookieHeader(), 'content-type': 'application/json', accept: 'application/json' },
  });
}

export async function getJson<T = Record<string, unknown>>(c: Client, path: string): Promise<T> {
  const res = await c.get(path, { accept: 'application/json' });
  if (res.status !== 200) throw new Error(`GET ${path}: ${res.status} ${await res.text()}`);
  return (await res.json()) as T;
}
