/** The runner's side of the wire protocol: typed calls with retries. */
import {
  claimResponse, errorResponse, eventsResponse, PROTOCOL_HEADER, PROTOCOL_VERSION,
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

export class AppApi {
  private opts: ApiOptions;

  constructor(opts: ApiOptions) {
    this.opts = opts;
  }

  private async post(path: string, body: unknown, signal?: AbortSignal): Promise<Response> {
    return fetch(new URL(`/api/runner/${path}`, this.opts.url), {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        authorization: `Bearer ${this.opts.token}`,
        [PROTOCOL_HEADER]: PROTOCOL_VERSION,
      },
      body: JSON.stringify(body),
      signal,
    });
  }

  private async check(res: Response, what: string): Promise<void> {
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
  async claim(req: ClaimRequest, signal?: AbortSignal): Promise<RunAssignment | undefined> {
    const res = await this.post('claim', req, signal);
    if (res.status === 204) return undefined;
    await this.check(res, 'claim');
    return claimResponse.parse(await res.json()).run;
  }

  async events(runId: number, req: EventsRequest): Promise<EventsResponse> {
    const res = await this.post(`runs/${runId}/events`, req);
    await this.check(res, 'events');
    return eventsResponse.parse(await res.json());
  }

  async finish(runId: number, req: FinishRequest): Promise<void> {
    const res = await this.post(`runs/${runId}/finish`, req);
    await this.check(res, 'finish');
  }
}

/** Calls `fn` until it succeeds, waiting longer after each network or server error. RunGone and Unauthorized pass through. */
export async function withRetry<T>(fn: () => Promise<T>, log: (m: string) => void, what: string, stop?: () => boolean): Promise<T> {
  let delay = 100;
  for (let attempt = 1; ; attempt++) {
    try {
      return await fn();
    } catch (e) {
      if (e instanceof RunGone || e instanceof Unauthorized || e instanceof Rejected || stop?.()) throw e;
      if (attempt === 1 || attempt % 10 === 0) log(`${what} failed (${(e as Error).message}); retrying`);
      await new Promise((r) => setTimeout(r, delay));
      delay = Math.min(delay * 2, 5000);
    }
  }
}
