/**
 * A client streaming a body far larger than any call takes: the app reads no
 * more than its bound, answers 413, and its memory stays where it was.
 */
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PROTOCOL_HEADER, PROTOCOL_VERSION } from '../../src/protocol/index.ts';
import { runnerToken } from '../helpers/runner.ts';
import { startServer, type TestServer } from '../helpers/server.ts';

let server: TestServer;
beforeAll(async () => {
  server = await startServer();
});
afterAll(() => server?.stop());

const peakKb = () => Number(/VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${server.pid()}/status`, 'utf8'))![1]);

/** 300 MiB sent in 1 MiB chunks, without a length: the server only learns the size by reading. */
function hugeStream(): ReadableStream<Uint8Array> {
  const chunk = new Uint8Array(1024 * 1024).fill(0x20);
  let sent = 0;
  return new ReadableStream({
    pull(controller) {
      if (sent++ >= 300) controller.close();
      else controller.enqueue(chunk);
    },
  });
}

async function post(path: string, headers: Record<string, string>): Promise<number | string> {
  try {
    const res = await fetch(server.url + path, { method: 'POST', body: hugeStream(), duplex: 'half', headers: { 'content-type': 'application/json', origin: server.url, ...headers } } as RequestInit);
    await res.text();
    return res.status;
  } catch (e) {
    // The server may close the connection while the rest is still being sent.
    return (e as Error).message;
  }
}

describe('bodies larger than a call takes', () => {
  it('the runner API stops reading at its bound', async () => {
    const token = await runnerToken(server, 'greedy');
    const before = peakKb();
    const outcome = await post('/api/runner/claim', { authorization: `Bearer ${token}`, [PROTOCOL_HEADER]: PROTOCOL_VERSION });
    if (typeof outcome === 'number') expect(outcome).toBe(413);
    // Reading the whole 300 MiB (as text, then as a string) would raise the peak by far more than this.
    expect(peakKb() - before).toBeLessThan(120 * 1024);
  });

  it('a form endpoint, even before login, stops reading at the server-wide bound', async () => {
    const before = peakKb();
    const outcome = await post('/login', { 'content-type': 'application/x-www-form-urlencoded' });
    if (typeof outcome === 'number') expect(outcome).toBe(413);
    expect(peakKb() - before).toBeLessThan(120 * 1024);
    // And the server goes on serving.
    expect((await fetch(`${server.url}/login`)).status).toBe(200);
  });
});
