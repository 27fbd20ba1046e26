import { createWriteStream, type WriteStream } from 'node:fs';
import { once } from 'node:events';
import { join } from 'node:path';

/**
 * Writes a synthetic `mongoexport` dump (JSON lines, relaxed Extended JSON,
 * as mongoexport writes by default) of `n` documents in total: codes.jsonl and
 * assignments.jsonl, streamed to disk. Every document is valid and every code
 * is distinct, so an import into an empty store imports everything:
 * imported = number of codes, merged = number of assignments.
 */
export interface GeneratedDump {
  readonly codes: string;
  readonly assignments: string;
  readonly codeDocuments: number;
  readonly assignmentDocuments: number;
}

export interface GenerateOptions {
  /** Prefix of order ids and area ids, to keep a run apart from other data. */
  readonly prefix?: string;
  /** The dumps' "now": codes are created in the 30 days before it. */
  readonly now?: Date;
}

/** Share of the documents that are assignments (each one has its code document). */
const ASSIGNMENT_SHARE = 0.45;
const AREAS = 20;
const FLUSH_CHARS = 256 * 1024;

/** Buffered line writer that waits when the disk is behind. */
class LineWriter {
  private buffer: string[] = [];
  private chars = 0;
  private readonly stream: WriteStream;

  constructor(path: string) {
    this.stream = createWriteStream(path);
  }

  async line(text: string): Promise<void> {
    this.buffer.push(text);
    this.chars += text.length + 1;
    if (this.chars >= FLUSH_CHARS) await this.flush();
  }

  async end(): Promise<void> {
    await this.flush();
    this.stream.end();
    await once(this.stream, 'finish');
  }

  private async flush(): Promise<void> {
    if (this.buffer.length === 0) return;
    const text = `${this.buffer.join('\n')}\n`;
    this.buffer = [];
    this.chars = 0;
    if (!this.stream.write(text)) await once(this.stream, 'drain');
  }
}

const objectId = (seconds: number, i: number): { $oid: string } => ({
  $oid: Math.floor(seconds).toString(16).padStart(8, '0') + i.toString(16).padStart(16, '0'),
});
const date = (ms: number): { $date: string } => ({ $date: new Date(ms).toISOString() });

/** The assignment of order `i`: a spread of every status, drivers unique where the store requires it. */
const assignmentFields = (i: number): Record<string, string> => {
  const driver = { driver_id: `driver-${i}`, park_id: `park-${i % 97}` };
  switch (i % 10) {
    case 0:
    case 1:
    case 2:
    case 3:
      return { ...driver, status: 'assigned' };
    case 4:
    case 5:
      return { ...driver, status: 'error', error: 'order_cancelled' };
    case 6:
      return { ...driver, status: 'error', error: 'driver_busy' };
    case 7:
      return { ...driver, status: 'processing' };
    case 8:
      return { status: 'pending' };
    default:
      return { ...driver, status: 'error', error: 'processing_timeout' };
  }
};

export const generateDump = async (dir: string, n: number, options: GenerateOptions = {}): Promise<GeneratedDump> => {
  const prefix = options.prefix ?? '';
  const now = (options.now ?? new Date()).getTime();
  const assignmentDocuments = Math.floor(n * ASSIGNMENT_SHARE);
  const codeDocuments = n - assignmentDocuments;
  const dump = {
    codes: join(dir, 'codes.jsonl'),
    assignments: join(dir, 'assignments.jsonl'),
    codeDocuments,
    assignmentDocuments,
  };
  const codes = new LineWriter(dump.codes);
  const assignments = new LineWriter(dump.assignments);
  const span = 30 * 24 * 3600 * 1000;

  for (let i = 0; i < codeDocuments; i++) {
    // Spread over the last 30 days. The orders without assignment are the latest ones: those of the last 30 minutes are still pending.
    const created = now - span + Math.floor((span * i) / codeDocuments) - 60_000;
    const code = String(i).padStart(7, '0');
    await codes.line(
      JSON.stringify({
        _id: objectId(created / 1000, i),
        code: `${code.slice(0, 3)} ${code.slice(3)}`,
        zone_id: `${prefix}area_${i % AREAS}`,
        order_id: `${prefix}order-${i}`,
        created: date(created),
        expire: date(created + 1_800_000),
      }),
    );
    if (i < assignmentDocuments) {
      await assignments.line(
        JSON.stringify({
          _id: objectId(created / 1000 + 1, i),
          order_id: `${prefix}order-${i}`,
          ...assignmentFields(i),
          created: date(created + 1000),
          updated: date(created + 30_000),
        }),
      );
    }
  }
  await Promise.all([codes.end(), assignments.end()]);
  return dump;
};
