/*
 * Numbers and how the HTTP benchmarks print them: statistics, tables, and
 * the command line that names where every figure came from.
 */
import { spawnSync } from 'node:child_process';
import { resolve } from 'node:path';

const ROOT = resolve(__dirname, '..', '..');

/** Nearest-rank percentile of sorted values. */
export const percentile = (sorted: ArrayLike<number>, q: number): number =>
  sorted.length === 0 ? NaN : (sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))] as number);

export const sortedOf = (values: readonly number[]): Float64Array => Float64Array.from(values).sort();

/** A number from the environment, or the default when unset or empty. */
export const num = (name: string, fallback: number): number => {
  const v = process.env[name];
  return v === undefined || v === '' ? fallback : Number(v);
};

/** The median (mean of the middle two for an even count); NaN when empty. */
export const median = (values: readonly number[]): number => {
  const sorted = values.filter((v) => !Number.isNaN(v)).sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  if (sorted.length === 0) return NaN;
  return sorted.length % 2 === 1 ? (sorted[mid] as number) : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
};

/** Settings that only say where output goes, not how the run is made. */
const NOT_SETTINGS = new Set(['BENCH_ONLY', 'BENCH_JSON', 'BENCH_KEEP_SCRATCH']);

/**
 * The command that reproduces one part of a run: that part alone, with the
 * BENCH_* settings this process ran under (printed with every figure).
 */
export const commandOf = (part: string, env: NodeJS.ProcessEnv = process.env): string =>
  [
    `BENCH_ONLY=${part}`,
    ...Object.keys(env)
      .filter((k) => k.startsWith('BENCH_') && !NOT_SETTINGS.has(k) && env[k] !== undefined && env[k] !== '')
      .sort()
      .map((k) => `${k}=${env[k] as string}`),
    'npm run bench:http',
  ].join(' ');

/** The commit benchmarked, and whether the working tree differed from it. */
export const revision = (): string => {
  const head = spawnSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: ROOT, encoding: 'utf8' }).stdout.trim();
  const dirty = spawnSync('git', ['status', '--porcelain', '--untracked-files=no'], {
    cwd: ROOT,
    encoding: 'utf8',
  }).stdout.trim();
  return head === '' ? 'unknown' : dirty === '' ? head : `${head} + uncommitted changes`;
};

/** The line under every table: what produced it, when, on which commit. */
export const producedBy = (part: string): string => `command: ${commandOf(part)}  (${stamp()}, commit ${revision()})`;

export const fmt = (n: number, digits = 1): string => (Number.isFinite(n) ? n.toFixed(digits) : '-');

/** A plain-text table, columns padded, numbers right-aligned. */
export const table = (head: readonly string[], rows: readonly (readonly string[])[]): string => {
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: readonly string[]) =>
    cells.map((c, i) => (/^[-\d.,%×]+/.test(c) && i > 0 ? c.padStart(widths[i] ?? 0) : c.padEnd(widths[i] ?? 0))).join('  ');
  return [line(head), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(line)].join('\n');
};

export const stamp = (): string => new Date().toISOString().replace(/\.\d+Z$/, 'Z');

export const log = (message: string): void => {
  process.stderr.write(`[${new Date().toISOString().slice(11, 19)}] ${message}\n`);
};
