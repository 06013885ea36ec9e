/** The runner's side of the wire protocol: typed calls with retries. */
import * as http from 'node:http';
import * as https from 'node:https';
import {
  claimResponse, errorResponse, eventsResponse, LEASE_HEADER, LIMITS, PROTOCOL_HEADER, PROTOCOL_VERSION, RUNNER_TIME_HEADER, SHA256_HEADER,
  type ClaimRequest, type EventsRequest, type EventsResponse, type FinishRequest, type RunAssignment,
} from '../src/protocol/index.ts';

/** The app answered that this run is not ours any more (cancelled and closed, or declared lost). */
export class RunGone extends Error {}
/** The app refused our token: retrying will not help. */
export class Unauthorized extends Error {}
/** The app refused the request itself as malformed or too large: sending it again will not help. */
export class Rejected extends Error {}

export interface ApiOptions {
  url: string;
  token: string;
  log: (msg: string) => void;
}

/** What came back: enough of a response for `check` and the callers. */
interface Answer {
  ok: boolean;
  status: number;
  text: () => Promise<string>;
  json: () => Promise<unknown>;
  /** The body as it came (a file the app sends). */
  bytes: Buffer;
}

/** A request that got no answer in time; a network error like any other, so it is retried. */
export class TimedOut extends Error {}

/** Deadlines: a long-poll may take its wait; anything else gets a few seconds, plus time to upload a large batch. */
const BASE_DEADLINE_MS = 5000;
const CLAIM_MARGIN_MS = 10_000;
const BYTES_PER_MS = 1000;

export class AppApi {
  private opts: ApiOptions;
  private agent: http.Agent;

  constructor(opts: ApiOptions) {
    this.opts = opts;
    this.agent = this.newAgent();
  }

  private newAgent(): http.Agent {
    return new URL(this.opts.url).protocol === 'https:' ? new https.Agent({ keepAlive: true }) : new http.Agent({ keepAlive: true });
  }

  /**
   * One POST with a deadline that really ends it: the socket is destroyed when
   * the deadline passes or `signal` aborts. A connection can go silent without
   * a reset (a NAT or proxy that dropped its state): waiting on it would starve
   * the heartbeats until the run is declared lost. So after any failure the
   * idle kept-alive sockets are dropped too (they likely share the fate), and a
   * retry (`fresh`) goes out on a connection of its own.
   */
  private post(path: string, body: unknown, opts: { deadlineMs?: number; signal?: AbortSignal; fresh?: boolean; headers?: Record<string, string> } = {}): Promise<Answer> {
    // Raw bytes (a file) go as they are, with the caller's headers; anything else as JSON.
    const data = body instanceof Uint8Array ? body : Buffer.from(JSON.stringify(body));
    const deadlineMs = opts.deadlineMs ?? BASE_DEADLINE_MS + Math.ceil(data.length / BYTES_PER_MS);
    const url = new URL(`/api/runner/${path}`, this.opts.url);
    const lib = url.protocol === 'https:' ? https : http;
    return new Promise<Answer>((ok, fail) => {
      let settled = false;
      let req: http.ClientRequest | undefined;
      const finish = (err: Error | undefined, answer?: Answer) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        opts.signal?.removeEventListener('abort', onAbort);
        if (err) {
          req?.destroy();
          this.dropIdleSockets();
          fail(err);
        } else ok(answer!);
      };
      const onAbort = () => finish(opts.signal!.reason instanceof Error ? opts.signal!.reason : new Error('aborted'));
      const timer = setTimeout(() => finish(new TimedOut(`no answer from the app within ${Math.round(deadlineMs / 1000)} s`)), deadlineMs);
      try {
        req = lib.request(url, {
          method: 'POST',
          // A retry never rides on a kept-alive socket that may be the stuck one.
          agent: opts.fresh ? false : this.agent,
          headers: {
            'content-type': body instanceof Uint8Array ? 'application/octet-stream' : 'application/json',
            'content-length': data.length,
            ...opts.headers,
            authorization: `Bearer ${this.opts.token}`,
            [PROTOCOL_HEADER]: PROTOCOL_VERSION,
            [RUNNER_TIME_HEADER]: new Date().toISOString(),
            ...(opts.fresh ? { connection: 'close' } : {}),
          },
        });
      } catch (e) {
        // A header node refuses (a token with a stray control character, say) throws here, not as an event.
        return finish(e as Error);
      }
      req.on('error', (e) => finish(e));
      req.on('response', (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('error', (e) => finish(e));
        res.on('end', () => {
          const bytes = Buffer.concat(chunks);
          const text = bytes.toString('utf8');
          const status = res.statusCode ?? 0;
          finish(undefined, { ok: status >= 200 && status < 300, status, text: async () => text, json: async () => JSON.parse(text), bytes });
        });
      });
      if (opts.signal?.aborted) return onAbort();
      opts.signal?.addEventListener('abort', onAbort, { once: true });
      req.end(data);
    });
  }

  private dropIdleSockets(): void {
    for (const list of Object.values(this.agent.freeSockets)) for (const socket of list ?? []) socket.destroy();
  }

  private async check(res: Answer, what: string): Promise<void> {
    if (res.ok) return;
    const text = await res.text().catch(() => '');
    let reason = text;
    try {
      const parsed = errorResponse.safeParse(JSON.parse(text));
      if (parsed.success) reason = parsed.data.error;
    } catch {
      /* not JSON: keep the text */
    }
    if (res.status === 401) throw new Unauthorized(`the app refused the runner token: ${reason}`);
    if (res.status === 409) throw new RunGone(reason);
    if (res.status === 400 || res.status === 413) throw new Rejected(`${what}: ${reason}`.slice(0, 500));
    throw new Error(`${what}: HTTP ${res.status} ${reason}`.slice(0, 500));
  }

  /** Waits up to `wait_ms` for a run; undefined when none came. */
  async claim(req: ClaimRequest, signal?: AbortSignal, fresh = false): Promise<RunAssignment | undefined> {
    const res = await this.post('claim', req, { signal, fresh, deadlineMs: req.wait_ms + CLAIM_MARGIN_MS });
    if (res.status === 204) return undefined;
    await this.check(res, 'claim');
    return claimResponse.parse(await res.json()).run;
  }

  async events(runId: number, req: EventsRequest, fresh = false): Promise<EventsResponse> {
    const res = await this.post(`runs/${runId}/events`, req, { fresh });
    await this.check(res, 'events');
    return eventsResponse.parse(await res.json());
  }

  /** One file the script left (see ARTIFACTS in the protocol). */
  async artifact(runId: number, lease: string, name: string, body: Uint8Array, sha256: string, fresh = false): Promise<void> {
    const res = await this.post(`runs/${runId}/artifacts/${encodeURIComponent(name)}`, body, { fresh, headers: { [LEASE_HEADER]: lease, [SHA256_HEADER]: sha256 } });
    await this.check(res, `sending file ${name}`);
  }

  /** A file given to the run's input `input` (see INPUT_FILES in the protocol), of `size` bytes: its time to arrive counts like an upload's. */
  async inputFile(runId: number, lease: string, input: string, size: number, fresh = false): Promise<Buffer> {
    const res = await this.post(`runs/${runId}/inputs/${input}`, new Uint8Array(0), { fresh, headers: { [LEASE_HEADER]: lease }, deadlineMs: BASE_DEADLINE_MS + Math.ceil(size / BYTES_PER_MS) });
    // No such file (or an app without the call): asking again will not bring it.
    if (res.status === 404) throw new Rejected(`fetching the file of input ${input}: ${(await res.text()).slice(0, 300)}`);
    await this.check(res, `fetching the file of input ${input}`);
    return res.bytes;
  }

  async finish(runId: number, req: FinishRequest, fresh = false): Promise<void> {
    const res = await this.post(`runs/${runId}/finish`, req, { fresh });
    await this.check(res, 'finish');
  }
}

/**
 * Calls `fn` until it succeeds, waiting longer after each network or server
 * error, but never longer than a heartbeat: once the app is back it must hear
 * from us well within a lease. `fn` learns whether this is a retry (`fresh`:
 * use a new connection). RunGone, Unauthorized and Rejected pass through.
 */
export async function withRetry<T>(fn: (fresh: boolean) => Promise<T>, log: (m: string) => void, what: string, stop?: () => boolean): Promise<T> {
  let delay = 100;
  for (let attempt = 1; ; attempt++) {
    try {
      return await fn(attempt > 1);
    } catch (e) {
      if (e instanceof RunGone || e instanceof Unauthorized || e instanceof Rejected || stop?.()) throw e;
      if (attempt === 1 || attempt % 10 === 0) log(`${what} failed (${(e as Error).message}); retrying`);
      await new Promise((r) => setTimeout(r, delay));
      delay = Math.min(delay * 2, LIMITS.heartbeatMs);
    }
  }
}
