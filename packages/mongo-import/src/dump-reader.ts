import { createReadStream } from 'node:fs';
import { open } from 'node:fs/promises';
import { createInterface } from 'node:readline';
import { splitJsonArray, type DumpElement } from './json-array-splitter';

export type { DumpElement } from './json-array-splitter';

/** `mongoexport` writes JSON lines by default and one array with `--jsonArray`. */
export type DumpFormat = 'json-lines' | 'json-array';

const PEEK_BYTES = 64 * 1024;

/** Decided by the first character that is not white space: `[` is an array. */
export const detectFormat = async (path: string): Promise<DumpFormat> => {
  const file = await open(path, 'r');
  try {
    const buffer = Buffer.alloc(PEEK_BYTES);
    for (;;) {
      const { bytesRead } = await file.read(buffer, 0, PEEK_BYTES, null);
      if (bytesRead === 0) return 'json-lines';
      const text = buffer.toString('latin1', 0, bytesRead).replace(/^\xef\xbb\xbf/, '');
      const first = /\S/.exec(text);
      if (first !== null) return first[0] === '[' ? 'json-array' : 'json-lines';
    }
  } finally {
    await file.close();
  }
};

/**
 * Streams the documents' texts of one dump file, each with the line it starts
 * on (blank lines of a JSON-lines file are no documents and are passed over).
 * `onBytes` is told the total bytes read so far, for progress.
 */
export async function* readDump(
  path: string,
  onBytes: (bytesRead: number) => void = () => undefined,
): AsyncGenerator<DumpElement> {
  const format = await detectFormat(path);
  const stream = createReadStream(path, { encoding: 'utf8', highWaterMark: PEEK_BYTES });
  stream.on('data', () => onBytes(stream.bytesRead));
  try {
    if (format === 'json-array') {
      yield* splitJsonArray(stream as AsyncIterable<string>);
      return;
    }
    const lines = createInterface({ input: stream, crlfDelay: Infinity });
    let line = 0;
    for await (const text of lines) {
      line++;
      const trimmed = (line === 1 ? text.replace(/^\ufeff/, '') : text).trim();
      if (trimmed !== '') yield { line, text: trimmed };
    }
  } finally {
    stream.destroy();
  }
}
