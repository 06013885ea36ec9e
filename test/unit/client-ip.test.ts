/**
 * The client address for the login throttle, the audit log and the request
 * log: behind a trusted proxy the last X-Forwarded-For entry (the one the
 * proxy saw), never an earlier one a client wrote itself.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { clientIp } from '../../src/web/http.ts';

const request = (xff?: string) => new Request('http://app.test/login', { headers: xff ? { 'x-forwarded-for': xff } : {} });
const before = process.env.SWITCHYARD_TRUST_PROXY;
afterEach(() => {
  if (before === undefined) delete process.env.SWITCHYARD_TRUST_PROXY;
  else process.env.SWITCHYARD_TRUST_PROXY = before;
});

describe('clientIp', () => {
  it('behind a trusted proxy that appends, takes the address the proxy added, not what the client sent', () => {
    process.env.SWITCHYARD_TRUST_PROXY = '1';
    expect(clientIp(request('127.0.0.1, 198.51.100.7'), '10.0.0.2')).toBe('198.51.100.7');
    expect(clientIp(request('203.0.113.9'), '10.0.0.2')).toBe('203.0.113.9');
    expect(clientIp(request(), '10.0.0.2')).toBe('10.0.0.2');
  });

  it('without a trusted proxy, ignores the header', () => {
    delete process.env.SWITCHYARD_TRUST_PROXY;
    expect(clientIp(request('198.51.100.7'), '10.0.0.2')).toBe('10.0.0.2');
  });
});
