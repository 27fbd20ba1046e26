import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { resolve } from 'node:path';
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

const ROOT = resolve(__dirname, '..', '..', '..', '..');

/**
 * Runs a TypeScript entry point of the repository (`file` relative to its
 * root) in a process of its own, as `npx tsx` would but with the workspace
 * packages from source, and resolves when it ends: its exit code and output.
 */
export const runEntryPoint = async (
  file: string,
  args: readonly string[],
  env: NodeJS.ProcessEnv = {},
): Promise<{ code: number | null; out: string; err: string }> => {
  const child = spawn(process.execPath, ['--import', 'tsx', resolve(ROOT, file), ...args], {
    cwd: ROOT,
    env: { ...process.env, TSX_TSCONFIG_PATH: resolve(ROOT, 'tsconfig.jest.json'), ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (err += chunk.toString()));
  const [code] = (await once(child, 'close')) as [number | null];
  return { code, out, err };
};
