/** A small closed-loop load generator: `concurrency` workers, each sending requests back to back. */
import { Agent, request } from 'node:http';

export interface Req {
  method: 'GET' | 'POST' | 'PUT';
  /** One address for all, or one per worker (so each connection can work on a page of its own). */
  path: string | ((worker: number) => string);
  headers?: Record<string, string>;
  /** Body per request, so saves can change a value each time. */
  body?: (i: number, worker: number) => string;
  expect: number;
  /** Sees each answer's body (collected only when this is given), e.g. to carry a revision to the worker's next save. */
  read?: (worker: number, status: number, body: string) => void;
}

export interface Result {
  requests: number;
  seconds: number;
  rps: number;
  p50: number;
  p99: number;
  /** Answers other than `expect`, by status (a refused connection counts as status 0). */
  unexpected: Record<number, number>;
}

interface Answer {
  ms: number;
  status: number;
}

function once(agent: Agent, base: URL, r: Req, i: number, worker: number): Promise<Answer> {
  return new Promise((ok) => {
    const body = r.body?.(i, worker);
    const path = typeof r.path === 'function' ? r.path(worker) : r.path;
    const start = performance.now();
    const req = request(
      { agent, host: base.hostname, port: base.port, method: r.method, path, headers: { ...r.headers, ...(body ? { 'content-length': Buffer.byteLength(body) } : {}) } },
      (res) => {
        const chunks: Buffer[] = [];
        if (r.read) res.on('data', (c: Buffer) => chunks.push(c));
        else res.resume();
        res.on('end', () => {
          const ms = performance.now() - start;
          r.read?.(worker, res.statusCode ?? 0, Buffer.concat(chunks).toString('utf8'));
          ok({ ms, status: res.statusCode ?? 0 });
        });
      },
    );
    req.on('error', () => ok({ ms: performance.now() - start, status: 0 }));
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
  const unexpected: Record<number, number> = {};
  let next = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async (_, worker) => {
      while (next < total) {
        const a = await once(agent, base, r, next++, worker);
        latencies.push(a.ms);
        if (a.status !== r.expect) unexpected[a.status] = (unexpected[a.status] ?? 0) + 1;
      }
    }),
  );
  const seconds = (performance.now() - started) / 1000;
  agent.destroy();
  latencies.sort((a, b) => a - b);
  return { requests: total, seconds, rps: total / seconds, p50: percentile(latencies, 50), p99: percentile(latencies, 99), unexpected };
}

/** "none", or what came instead of the expected answer: "3× 503, 1× refused". */
export function unexpectedText(u: Record<number, number>): string {
  const parts = Object.entries(u).map(([s, n]) => `${n}× ${s === '0' ? 'refused' : s}`);
  return parts.length ? parts.join(', ') : 'none';
}
