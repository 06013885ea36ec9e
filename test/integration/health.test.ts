/** /healthz and /readyz on the built server: JSON, no login, never cached, nothing secret. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServer, type TestServer } from '../helpers/server.ts';

let server: TestServer;
beforeAll(async () => {
  server = await startServer();
});
afterAll(() => server?.stop());

describe('health endpoints', () => {
  it('/healthz says the process answers, to anyone', async () => {
    const res = await fetch(`${server.url}/healthz`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('application/json');
    expect(res.headers.get('cache-control')).toBe('no-store');
    expect(await res.json()).toMatchObject({ status: 'ok', uptime_seconds: expect.any(Number) });
  });

  it('/readyz says the app is ready, with counts and no paths', async () => {
    const res = await fetch(`${server.url}/readyz`);
    expect(res.status).toBe(200);
    expect(res.headers.get('cache-control')).toBe('no-store');
    const text = await res.text();
    expect(JSON.parse(text)).toMatchObject({ status: 'ready', ready: true, database: { ok: true }, config: { state: 'live', problems: 0 }, runners: { active: 0, online: 0 }, app_processes: 1 });
    expect(text).not.toContain(server.dir);
  });

  it('takes GET only', async () => {
    const res = await fetch(`${server.url}/readyz`, { method: 'POST', body: 'a=1', headers: { origin: server.url, 'content-type': 'application/x-www-form-urlencoded' } });
    expect(res.status).toBe(405);
    expect(res.headers.get('allow')).toBe('GET, HEAD');
    expect((await fetch(`${server.url}/healthz`, { method: 'HEAD' })).status).toBe(200);
  });
});
