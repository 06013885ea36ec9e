/** Splits a byte stream into lines without ever holding more than one line's worth of bytes. */
import { StringDecoder } from 'node:string_decoder';
import { LIMITS } from '../src/protocol/index.ts';

export function lineSplitter(emit: (line: string) => void): { write: (chunk: Buffer) => void; end: () => void } {
  const decoder = new StringDecoder('utf8');
  let partial = '';
  let cut = false;
  const flush = (line: string) => emit(line.endsWith('\r') ? line.slice(0, -1) : line);
  return {
    write(chunk) {
      const text = partial + decoder.write(chunk);
      const parts = text.split('\n');
      partial = parts.pop()!;
      for (const p of parts) {
        if (cut) cut = false; // the rest of a line already cut
        else flush(p);
      }
      if (Buffer.byteLength(partial) > LIMITS.lineBytes) {
        if (!cut) flush(`${Buffer.from(partial).subarray(0, LIMITS.lineBytes).toString('utf8').replace(/\uFFFD$/, '')} [line cut at ${LIMITS.lineBytes} bytes]`);
        cut = true;
        partial = '';
      }
    },
    end() {
      const rest = partial + decoder.end();
      if (rest && !cut) flush(rest);
      partial = '';
    },
  };
}
