import { SingleBar } from 'cli-progress';
import type { ImportProgress } from './import';

export interface ProgressDisplay {
  update(progress: ImportProgress): void;
  stop(): void;
}

/** Every this many documents a line, when stderr is not a terminal. */
export const PROGRESS_LINE_EVERY = 100_000;

/**
 * Progress on stderr: a bar of bytes read (both files) on a terminal, else a
 * line every `PROGRESS_LINE_EVERY` documents and one per phase.
 */
export const progressDisplay = (stderr: NodeJS.WritableStream & { isTTY?: boolean }, totalBytes: number): ProgressDisplay => {
  if (stderr.isTTY === true) {
    const bar = new SingleBar({
      stream: stderr,
      format: 'import-mongo [{bar}] {percentage}% | {documents} documents | {phase}',
      hideCursor: true,
      clearOnComplete: false,
    });
    bar.start(Math.max(totalBytes, 1), 0, { documents: 0, phase: 'codes' });
    return {
      update: (p) => bar.update(Math.min(p.bytesRead, totalBytes), { documents: p.documents, phase: p.phase }),
      stop: () => bar.stop(),
    };
  }
  let printed = 0;
  let phase = '';
  return {
    update: (p) => {
      if (p.phase === phase && p.documents - printed < PROGRESS_LINE_EVERY) return;
      phase = p.phase;
      printed = p.documents;
      const percent = totalBytes > 0 ? Math.floor((100 * Math.min(p.bytesRead, totalBytes)) / totalBytes) : 100;
      stderr.write(`import-mongo: ${p.phase}: ${p.documents} documents read (${percent}% of the bytes)\n`);
    },
    stop: () => undefined,
  };
};
