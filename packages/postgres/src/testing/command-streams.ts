import type { CommandStreams } from '../cli/command-line';

/** Streams for a command under test: they keep what is written, `out` from stdout and `err` from stderr. */
export const recordedStreams = (): CommandStreams & { out: string; err: string } => {
  const streams = {
    out: '',
    err: '',
    stdout: { write: (text: string) => (streams.out += text) },
    stderr: { write: (text: string) => (streams.err += text) },
  };
  return streams;
};
