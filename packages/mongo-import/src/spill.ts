import { closeSync, openSync, readSync, writeSync } from 'node:fs';
import { StringDecoder } from 'node:string_decoder';

/*
 * Files the import spills to between its passes: lines of JSON written in
 * order and read back in order. Reads and writes are synchronous and
 * buffered: these files sit in the page cache, and nothing else waits on
 * the event loop while they are written.
 */

const WRITE_CHARS = 64 * 1024;
const READ_BYTES = 64 * 1024;

/** Appends lines to a new file, in chunks. */
export class SpillWriter {
  private readonly fd: number;
  private parts: string[] = [];
  private chars = 0;
  /** Lines written. */
  lines = 0;

  constructor(readonly path: string) {
    this.fd = openSync(path, 'wx');
  }

  line(text: string): void {
    this.parts.push(text);
    this.chars += text.length + 1;
    this.lines++;
    if (this.chars >= WRITE_CHARS) this.flush();
  }

  close(): void {
    this.flush();
    closeSync(this.fd);
  }

  private flush(): void {
    if (this.parts.length === 0) return;
    writeSync(this.fd, `${this.parts.join('\n')}\n`);
    this.parts = [];
    this.chars = 0;
  }
}

/** The lines of a file written by `SpillWriter`, one chunk in memory at a time. */
export function* readSpill(path: string): Generator<string> {
  const fd = openSync(path, 'r');
  try {
    const buffer = Buffer.allocUnsafe(READ_BYTES);
    const decoder = new StringDecoder('utf8');
    let rest = '';
    for (;;) {
      const n = readSync(fd, buffer, 0, READ_BYTES, null);
      if (n === 0) break;
      const text = rest + decoder.write(buffer.subarray(0, n));
      let from = 0;
      for (let end = text.indexOf('\n'); end >= 0; end = text.indexOf('\n', from)) {
        yield text.slice(from, end);
        from = end + 1;
      }
      rest = text.slice(from);
    }
    rest += decoder.end();
    if (rest !== '') yield rest;
  } finally {
    closeSync(fd);
  }
}

/** Something with a place in one order: here, a document's position in its dump. */
export interface Sequenced {
  readonly seq: number;
}

/**
 * Merges sources that are each in `seq` order into one sequence in `seq`
 * order (a binary heap of their heads). Items of one source with the same
 * `seq` keep their order.
 */
export function* mergeBySeq<T extends Sequenced>(sources: readonly Iterator<T>[]): Generator<T> {
  const heap: Slot<T>[] = [];
  const at = (i: number): Slot<T> => heap[i] as Slot<T>;
  const less = (a: number, b: number): boolean => at(a).head.seq < at(b).head.seq;
  const swap = (a: number, b: number): void => {
    const t = at(a);
    heap[a] = at(b);
    heap[b] = t;
  };
  const down = (i: number): void => {
    for (;;) {
      const l = 2 * i + 1;
      const r = l + 1;
      let m = i;
      if (l < heap.length && less(l, m)) m = l;
      if (r < heap.length && less(r, m)) m = r;
      if (m === i) return;
      swap(i, m);
      i = m;
    }
  };
  const up = (i: number): void => {
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (!less(i, p)) return;
      swap(i, p);
      i = p;
    }
  };
  for (const source of sources) {
    const first = source.next();
    if (first.done === true) continue;
    heap.push({ head: first.value, source });
    up(heap.length - 1);
  }
  while (heap.length > 0) {
    const top = at(0);
    yield top.head;
    const next = top.source.next();
    if (next.done !== true) top.head = next.value;
    else {
      const last = heap.pop() as Slot<T>;
      if (heap.length === 0) return;
      heap[0] = last;
    }
    down(0);
  }
}

interface Slot<T> {
  head: T;
  readonly source: Iterator<T>;
}
