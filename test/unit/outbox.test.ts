import { describe, expect, it } from 'vitest';
import { LIMITS } from '../../src/protocol/index.ts';
import { Rejected, type AppApi } from '../../runner/api.ts';
import { Outbox } from '../../runner/outbox.ts';
import { lineSplitter } from '../../runner/lines.ts';

describe('Outbox', () => {
  it('keeps memory bounded while the app cannot be reached, counting what it drops', async () => {
    // An app that never answers: every send fails, as when it is down.
    const unreachable = { events: () => Promise.reject(new Error('ECONNREFUSED')) } as unknown as AppApi;
    const box = new Outbox({ api: unreachable, runId: 1, lease: 'x'.repeat(20), log: () => {}, onCancel: () => {}, onGone: () => {} });
    try {
      for (let i = 0; i < LIMITS.bufferedEvents + 5000; i++) box.push({ type: 'log', stream: 'stdout', at: new Date().toISOString(), text: `line ${i}` });
      expect(box.size).toBeLessThanOrEqual(LIMITS.bufferedEvents);
      expect(box.droppedSoFar).toBe(5000);
    } finally {
      box.close();
    }
  });

  it('drops acknowledged events and resends the rest', async () => {
    const batches: number[][] = [];
    let calls = 0;
    const flaky = {
      events: async (_id: number, req: { events: { seq: number }[] }) => {
        batches.push(req.events.map((e) => e.seq));
        if (++calls === 1) throw new Error('connection reset');
        return { ack: req.events.at(-1)?.seq ?? 0, cancel: false };
      },
    } as unknown as AppApi;
    const box = new Outbox({ api: flaky, runId: 1, lease: 'x'.repeat(20), log: () => {}, onCancel: () => {}, onGone: () => {} });
    for (let i = 0; i < 3; i++) box.push({ type: 'log', stream: 'stdout', at: new Date().toISOString(), text: `l${i}` });
    await box.drain();
    box.close();
    expect(box.size).toBe(0);
    expect(batches[0]).toEqual([1]);
    expect(batches.flat().filter((s) => s === 1).length).toBe(2); // the failed batch was sent again
    expect(new Set(batches.flat())).toEqual(new Set([1, 2, 3]));
  });
});

describe('Outbox and a batch the app refuses', () => {
  it('drops the refused batch with a visible marker instead of retrying it forever', async () => {
    const sent: { seq: number; text?: string }[][] = [];
    const picky = {
      events: async (_id: number, req: { events: { seq: number; type: string; text?: string }[] }) => {
        sent.push(req.events.map((e) => ({ seq: e.seq, text: e.text })));
        if (req.events.some((e) => e.text === 'bad')) throw new Rejected('events: HTTP 400 invalid body');
        return { ack: req.events.at(-1)?.seq ?? 0, cancel: false };
      },
    } as unknown as AppApi;
    const box = new Outbox({ api: picky, runId: 1, lease: 'x'.repeat(20), log: () => {}, onCancel: () => {}, onGone: () => {} });
    box.push({ type: 'log', stream: 'stdout', at: new Date().toISOString(), text: 'bad' });
    await box.drain();
    box.close();
    expect(box.size).toBe(0);
    expect(sent.at(-1)![0]!.text).toBe('[switchyard runner] 1 events were refused by the app and dropped: events: HTTP 400 invalid body');
  });
});

describe('lineSplitter', () => {
  const split = (chunks: (string | Buffer)[]) => {
    const out: string[] = [];
    const s = lineSplitter((l) => out.push(l));
    for (const c of chunks) s.write(Buffer.isBuffer(c) ? c : Buffer.from(c));
    s.end();
    return out;
  };

  it('splits on newlines across chunks, drops \\r, keeps a last unterminated line', () => {
    expect(split(['a\r\nb', 'c\n\nd'])).toEqual(['a', 'bc', '', 'd']);
  });

  it('keeps multi-byte characters split between chunks whole', () => {
    const bytes = Buffer.from('é✓\n');
    expect(split([bytes.subarray(0, 1), bytes.subarray(1, 3), bytes.subarray(3)])).toEqual(['é✓']);
  });

  it('cuts a long line that arrives whole inside one chunk', () => {
    expect(split(['x'.repeat(100), `${'y'.repeat(20_000)}\nnext\n`])).toEqual([`${'x'.repeat(100)}${'y'.repeat(LIMITS.lineBytes - 100)} [line cut at ${LIMITS.lineBytes} bytes]`, 'next']);
  });

  it('cuts an endless line once, without holding it in memory', () => {
    const out = split([...Array.from({ length: 100 }, () => 'x'.repeat(1000)), '\nnext\n']);
    expect(out).toEqual([`${'x'.repeat(LIMITS.lineBytes)} [line cut at ${LIMITS.lineBytes} bytes]`, 'next']);
  });
});
