import { createWriteStream, type WriteStream } from 'node:fs';
import { once } from 'node:events';

/**
 * The reject file: one JSON document per line, written as the rejects come
 * (with backpressure), so that a dump full of bad lines does not pile up in
 * memory. `lazy`: the file is only created by the first line.
 */
export class JsonLinesFile {
  private stream: WriteStream | null = null;
  lines = 0;

  constructor(
    readonly path: string,
    options: { readonly lazy: boolean },
  ) {
    if (!options.lazy) this.stream = this.open();
  }

  /** Whether the file exists (was created by this run). */
  get created(): boolean {
    return this.stream !== null;
  }

  async write(value: unknown): Promise<void> {
    const stream = this.stream ?? (this.stream = this.open());
    this.lines++;
    if (!stream.write(`${JSON.stringify(value)}\n`)) await once(stream, 'drain');
  }

  async close(): Promise<void> {
    const stream = this.stream;
    if (stream === null || stream.closed) return;
    stream.end();
    await once(stream, 'close');
  }

  private open(): WriteStream {
    const stream = createWriteStream(this.path, { flags: 'w' });
    // Errors surface on write/close; keep an early one (bad path) from crashing the process.
    stream.on('error', () => undefined);
    return stream;
  }
}
