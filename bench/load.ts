/** A small closed-loop load generator: `concurrency` workers, each sending requests back to back. */
import { Agent, request } from 'node:http';

export interface Req {
  method: 'GET' | 'POST';
  path: string;
  headers?: Record<string, string>;
  /** Body per request, so saves can change a value each time. */
  body?: (i: number) => string;
  expect: number;
}

export interface Result {
  requests: number;
  seconds: number;
  rps: number;
  p50: number;
  p99: number;
}

function once(agent: Agent, base: URL, r: Req, i: number): Promise<number> {
  return new Promise((ok, fail) => {
    const body = r.body?.(i);
    const start = performance.now();
    const req = request(
      { agent, host: base.hostname, port: base.port, method: r.method, path: r.path, headers: { ...r.headers, ...(body ? { 'content-length': Buffer.byteLength(body) } : {}) } },
      (res) => {
        res.resume();
        res.on('end', () => {
          if (res.statusCode !== r.expect) fail(new Error(`${r.method} ${r.path}: expected ${r.expect}, got ${res.statusCode}`));
          else ok(performance.now() - start);
        });
      },
    );
    req.on('error', fail);
    req.end(body);
  });
}

export function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

export function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

export async function load(url: string, r: Req, concurrency: number, total: number): Promise<Result> {
  const agent = new Agent({ keepAlive: true, maxSockets: concurrency });
  const base = new URL(url);
  const latencies: number[] = [];
  let next = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < total) latencies.push(await once(agent, base, r, next++));
    }),
  );
  const seconds = (performance.now() - started) / 1000;
  agent.destroy();
  latencies.sort((a, b) => a - b);
  return { requests: total, seconds, rps: total / seconds, p50: percentile(latencies, 50), p99: percentile(latencies, 99) };
}
