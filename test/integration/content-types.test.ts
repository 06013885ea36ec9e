/**
 * Every form endpoint of the built server against the content types a client
 * may send: forms go through, JSON only where the route answers JSON, and
 * anything else is refused with 415 and a clear message (JSON when asked).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Client, textOf } from '../helpers/client.ts';
import { startServer, type TestServer } from '../helpers/server.ts';

let server: TestServer;
let admin: Client;
beforeAll(async () => {
  server = await startServer({ users: [{ name: 'root', role: 'admin', password: 'root-password' }] });
  admin = new Client(server.url);
  await admin.login('root', 'root-password');
});
afterAll(() => server?.stop());

const FORM_ENDPOINTS = [
  '/page/toplevel',
  '/page/toplevel/export',
  '/page/toplevel/import',
  '/page/toplevel/restore',
  '/page/toplevel/publish-anyway',
  '/login',
  '/logout',
  '/admin/users',
  '/admin/sessions',
  '/admin/runners',
  '/account',
];
const JSON_ENDPOINTS = ['/page/data-processing/run/start_processing', '/runs/1/cancel', '/runs/1/rerun'];

const BODIES: Record<string, string> = {
  'application/json': '{"version": "2"}',
  'text/plain': 'version=2',
  'application/xml': '<version>2</version>',
  'application/octet-stream': 'version=2',
};

function post(path: string, type: string | undefined, body: string, accept = 'text/html'): Promise<Response> {
  return fetch(server.url + path, {
    method: 'POST',
    redirect: 'manual',
    // Bytes, so that fetch adds no Content-Type of its own.
    body: new TextEncoder().encode(body),
    headers: { cookie: admin.cookieHeader(), origin: server.url, accept, ...(type ? { 'content-type': type } : {}) },
  });
}

describe('form endpoints', () => {
  for (const path of FORM_ENDPOINTS) {
    it(`${path} refuses anything but a form with 415, and takes forms`, async () => {
      for (const [type, body] of Object.entries(BODIES)) {
        const page = await post(path, type, body);
        expect(page.status, `${type} to ${path}`).toBe(415);
        expect(textOf(await page.text(), 'error'), `${type} to ${path}`).toContain(`not "${type}"`);
        const json = await post(path, type, body, 'application/json');
        expect(json.status, `${type} to ${path} asking for JSON`).toBe(415);
        expect(((await json.json()) as { error: string }).error).toMatch(/takes a form \(application\/x-www-form-urlencoded or multipart\/form-data\)/);
      }
      expect((await post(path, undefined, 'version=2')).status, `no content type to ${path}`).toBe(415);
      // Forms are never refused for their type (the answer depends on the form's content).
      const form = new FormData();
      form.set('version', '2');
      for (const res of [await post(path, 'application/x-www-form-urlencoded', 'version=2'), await fetch(server.url + path, { method: 'POST', redirect: 'manual', body: form, headers: { cookie: admin.cookieHeader(), origin: server.url } })]) {
        expect([415, 500], `form to ${path}`).not.toContain(res.status);
      }
      if (path === '/logout') await admin.login('root', 'root-password');
    });
  }
});

describe('routes that answer JSON', () => {
  for (const path of JSON_ENDPOINTS) {
    it(`${path} takes JSON and forms, and refuses other types with 415`, async () => {
      for (const type of ['application/json', undefined, 'application/x-www-form-urlencoded']) {
        const res = await post(path, type, type === 'application/json' ? '{}' : '', 'application/json');
        expect([415, 500], `${type} to ${path}`).not.toContain(res.status);
        expect(res.headers.get('content-type'), `${type} to ${path}`).toContain('application/json');
      }
      const res = await post(path, 'text/plain', 'x', 'application/json');
      expect(res.status).toBe(415);
      expect(((await res.json()) as { error: string }).error).toMatch(/takes a form or JSON/);
    });
  }
});
