/** Who may read /metrics, which request ids are kept, the log level, and what the logger censors. */
import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { isLoopback, metricsRefusal, metricsTokenProblem, type MetricsRequest } from '../../src/web/metrics-routes.ts';
import { requestId } from '../../src/web/request-trace.ts';
import { createLogger, logLevel } from '../../src/server/log.ts';

const TOKEN = 'a-metrics-token-of-32-characters';
const base: MetricsRequest = { socketAddress: '127.0.0.1', forwardedFor: null, proxied: false, authorization: null, trustProxy: false, token: undefined };
const status = (r: Partial<MetricsRequest>) => metricsRefusal({ ...base, ...r })?.status ?? 200;

describe('/metrics access', () => {
  it('knows loopback addresses', () => {
    for (const a of ['127.0.0.1', '127.8.9.10', '::1', '::ffff:127.0.0.1']) expect(isLoopback(a), a).toBe(true);
    for (const a of ['10.0.0.1', '::', '0.0.0.0', '::ffff:10.0.0.1', '128.0.0.1', '127.0.0.1.evil', '']) expect(isLoopback(a), a).toBe(false);
  });

  it('without a proxy: loopback only; a forwarded request counts as not local', () => {
    expect(status({})).toBe(200);
    expect(status({ socketAddress: '::1' })).toBe(200);
    expect(status({ socketAddress: '10.1.2.3' })).toBe(403);
    expect(status({ proxied: true, forwardedFor: '127.0.0.1' })).toBe(403);
    expect(status({ socketAddress: undefined })).toBe(403);
  });

  it('behind a trusted proxy: the address the proxy saw (the last one forwarded) decides', () => {
    const proxy = { trustProxy: true, proxied: true };
    expect(status({ ...proxy, forwardedFor: '127.0.0.1' })).toBe(200);
    expect(status({ ...proxy, forwardedFor: '198.51.100.7' })).toBe(403);
    expect(status({ ...proxy, forwardedFor: '127.0.0.1, 198.51.100.7' })).toBe(403);
    expect(status({ trustProxy: true })).toBe(200);
  });

  it('with a token: anyone sending it, compared whole; a wrong one is refused even from loopback', () => {
    expect(status({ token: TOKEN, socketAddress: '10.1.2.3', authorization: `Bearer ${TOKEN}` })).toBe(200);
    expect(status({ token: TOKEN, socketAddress: '10.1.2.3', authorization: `bearer ${TOKEN}` })).toBe(200);
    expect(status({ token: TOKEN, socketAddress: '10.1.2.3', authorization: `Bearer ${TOKEN.slice(0, -1)}` })).toBe(401);
    expect(status({ token: TOKEN, socketAddress: '10.1.2.3', authorization: `Bearer ${TOKEN}x` })).toBe(401);
    expect(status({ token: TOKEN, socketAddress: '10.1.2.3' })).toBe(401);
    expect(status({ token: TOKEN, authorization: 'Bearer nope' })).toBe(401);
    expect(status({ token: TOKEN })).toBe(200);
    expect(status({ socketAddress: '10.1.2.3', authorization: `Bearer ${TOKEN}` })).toBe(403);
  });

  it('checks the configured token', () => {
    expect(metricsTokenProblem(undefined)).toBeUndefined();
    expect(metricsTokenProblem('')).toBeUndefined();
    expect(metricsTokenProblem(TOKEN)).toBeUndefined();
    expect(metricsTokenProblem('short')).toMatch(/^SWITCHYARD_METRICS_TOKEN must be 16 to 256 printable characters/);
    expect(metricsTokenProblem('sixteen chars with spaces')).toMatch(/without spaces/);
  });
});

describe('request ids', () => {
  it('keeps a short plain id and replaces anything else', () => {
    expect(requestId('abc-123_x.y:z')).toBe('abc-123_x.y:z');
    for (const bad of [undefined, '', 'a'.repeat(65), 'with space', 'q"uote', 'new\nline', 'ü']) expect(requestId(bad)).toMatch(/^[0-9a-f]{8}-[0-9a-f-]{27}$/);
  });
});

describe('the logger', () => {
  it('takes its level from SWITCHYARD_LOG_LEVEL and names the choices for a wrong one', () => {
    expect(logLevel({})).toBe('info');
    expect(logLevel({ SWITCHYARD_LOG_LEVEL: ' DEBUG ' })).toBe('debug');
    expect(() => logLevel({ SWITCHYARD_LOG_LEVEL: 'verbose' })).toThrow('SWITCHYARD_LOG_LEVEL is "verbose"; set it to one of fatal, error, warn, info, debug, trace, silent (default info)');
  });

  it('writes JSON lines with credentials censored, at any depth it is given them', async () => {
    const out = new PassThrough();
    let text = '';
    out.on('data', (d) => (text += d));
    const logger = createLogger({ SWITCHYARD_LOG_LEVEL: 'debug' }, out);
    logger.debug({ password: 'p-1', token: 't-1', user: { password: 'p-2', secret: 's-2' }, req: { headers: { authorization: 'Bearer b-1', cookie: 'c-1', accept: 'x' } } }, 'hello');
    logger.trace('not at debug');
    await new Promise((r) => setImmediate(r));
    const lines = text.trim().split('\n');
    expect(lines).toHaveLength(1);
    const line = JSON.parse(lines[0]!);
    expect(line).toMatchObject({ level: 20, msg: 'hello', req: { headers: { accept: 'x' } } });
    for (const secret of ['p-1', 't-1', 'p-2', 's-2', 'b-1', 'c-1']) expect(text).not.toContain(secret);
  });
});
