/** Splits a byte stream into lines without ever holding more than one line's worth of bytes. */
import { StringDecoder } from 'node:string_decoder';
import { cutLine, LIMITS } from '../src/protocol/index.ts';

export function lineSplitter(emit: (line: string) => void): { write: (chunk: Buffer) => void; end: () => void } {
  const decoder = new StringDecoder('utf8');
  let partial = '';
  let cut = false;
  const flush = (raw: string) => {
    const line = raw.endsWith('\r') ? raw.slice(0, -1) : raw;
    emit(cutLine(line));
  };
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
        if (!cut) flush(partial);
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
