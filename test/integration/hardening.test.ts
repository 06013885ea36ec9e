/** Session limits and the HTTPS cookie, against the built server. */
import { execFileSync } from 'node:child_process';
import { request } from 'node:https';
import { describe, expect, it } from 'vitest';
import { Client } from '../helpers/client.ts';
import { startServer } from '../helpers/server.ts';

const USERS = [{ name: 'ed', role: 'editor' as const, password: 'ed-password' }];
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('session limits', () => {
  it('ends a session left idle past the idle limit', async () => {
    const s = await startServer({ users: USERS, env: { SWITCHYARD_SESSION_IDLE_SECONDS: '10' } });
    try {
      const c = new Client(s.url);
      await c.login('ed', 'ed-password');
      for (let i = 0; i < 3; i++) {
        await sleep(4000); // used every 4 s: stays alive past 10 s
        expect((await c.get('/page/toplevel')).status).toBe(200);
      }
      await sleep(11_000);
      const res = await c.get('/page/toplevel');
      expect(res.status).toBe(303);
      expect(res.headers.get('location')).toMatch(/^\/login/);
    } finally {
      await s.stop();
    }
  }, 40_000);

  it('ends a session at the absolute limit however busy it is', async () => {
    const s = await startServer({ users: USERS, env: { SWITCHYARD_SESSION_MAX_SECONDS: '10' } });
    try {
      const c = new Client(s.url);
      await c.login('ed', 'ed-password');
      const started = Date.now();
      while (Date.now() - started < 9000) {
        expect((await c.get('/page/toplevel')).status).toBe(200);
        await sleep(1000);
      }
      await sleep(1500);
      expect((await c.get('/page/toplevel')).status).toBe(303);
      const { rows } = await s.db().execute('SELECT count(*) AS n FROM sessions');
      expect(Number(rows[0]!.n)).toBe(0);
    } finally {
      await s.stop();
    }
  }, 30_000);
});

describe('under HTTPS', () => {
  it('uses a __Host- cookie that is Secure, host-only and for the whole site', async () => {
    const dir = execFileSync('mktemp', ['-d']).toString().trim();
    execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', `${dir}/key.pem`, '-out', `${dir}/cert.pem`, '-days', '1', '-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1'], { stdio: 'ignore' });
    const s = await startServer({ users: USERS, env: { SWITCHYARD_TLS_CERT: `${dir}/cert.pem`, SWITCHYARD_TLS_KEY: `${dir}/key.pem` }, https: true });
    try {
      const url = new URL('/login', s.url);
      const cookie = await new Promise<string[]>((ok, fail) => {
        const req = request(url, { method: 'POST', rejectUnauthorized: false, headers: { origin: s.url, 'content-type': 'application/x-www-form-urlencoded' } }, (res) => {
          res.resume();
          ok(res.headers['set-cookie'] ?? []);
        });
        req.on('error', fail);
        req.end('username=ed&password=ed-password');
      });
      const session = cookie.find((c) => c.startsWith('__Host-switchyard_session='));
      expect(session).toBeDefined();
      expect(session).toMatch(/; Path=\//);
      expect(session).toMatch(/; Secure/);
      expect(session).toMatch(/; HttpOnly/);
      expect(session).not.toMatch(/Domain=/i);
    } finally {
      await s.stop();
      execFileSync('rm', ['-rf', dir]);
    }
  });
});

describe('behind a reverse proxy that terminates TLS', () => {
  const login = (url: string, headers: Record<string, string>) =>
    fetch(`${url}/login`, { method: 'POST', redirect: 'manual', body: 'username=ed&password=ed-password', headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers } });
  const proxied = { 'x-forwarded-proto': 'https', 'x-forwarded-host': 'switchyard.example.org', origin: 'https://switchyard.example.org' };

  it('follows the scheme and host the browser used when told to trust the proxy', async () => {
    const s = await startServer({ users: USERS, env: { SWITCHYARD_TRUST_PROXY: '1' } });
    try {
      const res = await login(s.url, proxied);
      expect(res.status).toBe(303);
      const cookie = res.headers.getSetCookie().find((c) => c.startsWith('__Host-switchyard_session='));
      expect(cookie).toMatch(/; Secure/);
      // A cross-site post is still refused.
      expect((await login(s.url, { ...proxied, origin: 'https://evil.example' })).status).toBe(403);
    } finally {
      await s.stop();
    }
  });

  it('ignores forwarded headers unless told to trust them', async () => {
    const s = await startServer({ users: USERS });
    try {
      const res = await login(s.url, proxied);
      expect(res.status).toBe(403);
      expect(res.headers.getSetCookie()).toEqual([]);
    } finally {
      await s.stop();
    }
  });
});
