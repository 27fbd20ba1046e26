import { SingleBar } from 'cli-progress';
import type { ImportProgress } from './import';

export interface ProgressDisplay {
  update(progress: ImportProgress): void;
  stop(): void;
}

/** Every this many documents (records, while writing) a line, when stderr is not a terminal. */
export const PROGRESS_LINE_EVERY = 100_000;

/** What a phase counts: documents while reading, records while writing. */
const counted = (p: ImportProgress): number => (p.phase === 'writing' ? p.records : p.documents);

const line = (p: ImportProgress, totalBytes: number): string => {
  switch (p.phase) {
    case 'codes':
    case 'assignments':
      return `${p.documents} documents read (${percent(p.bytesRead, totalBytes)}% of the bytes)`;
    case 'merging':
      return `by order_id, ${p.documents} documents read`;
    case 'writing':
      return `${p.records} of ${p.recordsTotal ?? '?'} records (${percent(p.records, p.recordsTotal ?? 0)}%)`;
  }
};

const percent = (done: number, total: number): number => (total > 0 ? Math.floor((100 * Math.min(done, total)) / total) : 100);

/**
 * Progress on stderr: on a terminal a bar, of the bytes read (both files)
 * while reading, of the records while writing; else a line every
 * `PROGRESS_LINE_EVERY` documents (or records), one per phase, and one when
 * every record is written.
 */
export const progressDisplay = (stderr: NodeJS.WritableStream & { isTTY?: boolean }, totalBytes: number): ProgressDisplay => {
  if (stderr.isTTY === true) {
    const bar = new SingleBar({
      stream: stderr,
      format: 'import-mongo [{bar}] {percentage}% | {documents} documents | {records} records | {phase}',
      hideCursor: true,
      clearOnComplete: false,
    });
    bar.start(Math.max(totalBytes, 1), 0, { documents: 0, records: 0, phase: 'codes' });
    let writing = false;
    return {
      update: (p) => {
        const payload = { documents: p.documents, records: p.records, phase: p.phase };
        if (p.phase !== 'writing' || p.recordsTotal === null) {
          bar.update(Math.min(p.bytesRead, totalBytes), payload);
          return;
        }
        if (!writing) bar.setTotal(Math.max(p.recordsTotal, 1));
        writing = true;
        bar.update(Math.min(p.records, p.recordsTotal), payload);
      },
      stop: () => bar.stop(),
    };
  }
  let printed = 0;
  let phase = '';
  return {
    update: (p) => {
      const n = counted(p);
      // The last line of the writing: every record done.
      const last = p.phase === 'writing' && p.records === p.recordsTotal && n !== printed;
      if (p.phase === phase && n - printed < PROGRESS_LINE_EVERY && !last) return;
      phase = p.phase;
      printed = n;
      stderr.write(`import-mongo: ${p.phase}: ${line(p, totalBytes)}\n`);
    },
    stop: () => undefined,
  };
};
