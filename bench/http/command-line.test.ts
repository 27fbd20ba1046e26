import { runEntryPoint } from '@codedispatch/postgres/testing';

/*
 * The benchmarks' command lines, on the real entry points (as `npx tsx` runs
 * them). BENCH_DATABASE_URL points at nothing: a benchmark that started
 * anyway would fail on it with exit 1, never 2.
 */

const run = (file: string, args: readonly string[]) =>
  runEntryPoint(`bench/http/${file}`, args, { BENCH_DATABASE_URL: 'postgres://postgres@127.0.0.1:1/nothing' });

const COMMANDS = [
  ['run.ts', 'bench:http', 'Usage: npm run bench:http '],
  ['mixed.ts', 'mixed', 'Usage: node --import tsx bench/http/mixed.ts '],
  ['long-poll.ts', 'long-poll', 'Usage: node --import tsx bench/http/long-poll.ts '],
  ['writes.ts', 'writes', 'Usage: node --import tsx bench/http/writes.ts '],
  ['startup.ts', 'startup', 'Usage: node --import tsx bench/http/startup.ts '],
  ['profile.ts', 'profile', 'Usage: node --import tsx bench/http/profile.ts '],
] as const;

describe.each(COMMANDS)('bench/http/%s', (file, name, usage) => {
  it('--help prints the usage on stdout and exits 0', async () => {
    const { code, out, err } = await run(file, ['--help']);
    expect({ code, err }).toEqual({ code: 0, err: '' });
    expect(out.startsWith(usage)).toBe(true);
  });

  it('--bogus is refused with one line and the usage on stderr, exit 2, before any work', async () => {
    const { code, out, err } = await run(file, ['--bogus']);
    expect({ code, out }).toEqual({ code: 2, out: '' });
    expect(err.split('\n').slice(0, 3)).toEqual([`${name}: Unknown option '--bogus'`, '', expect.stringContaining(usage)]);
  });
});

describe('bench/http/profile.ts arguments', () => {
  it.each([
    [['status', '10', 'mongo'], "profile: the target must be one of service, express, node, not 'mongo'"],
    [['create', '10', 'service', '16', 'more'], "profile: Unexpected argument 'more'"],
  ])('%j is refused with exit 2', async (args, message) => {
    const { code, out, err } = await run('profile.ts', args);
    expect({ code, out }).toEqual({ code: 2, out: '' });
    expect(err.split('\n')[0]).toBe(message);
  });
});

describe('bench/http/run.ts environment', () => {
  it('BENCH_ONLY with an unknown part fails with exit 1 and names the parts, before any work', async () => {
    const { code, out, err } = await runEntryPoint('bench/http/run.ts', [], {
      BENCH_DATABASE_URL: 'postgres://postgres@127.0.0.1:1/nothing',
      BENCH_ONLY: 'compare,bogus',
    });
    expect({ code, out }).toEqual({ code: 1, out: '' });
    expect(err).toContain('BENCH_ONLY: unknown part(s) bogus; the parts are startup, compare, mixed, long-poll, writes');
  });
});
