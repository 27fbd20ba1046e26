import { recordedStreams } from '@codedispatch/postgres/testing';
import { main } from './lookup-worker';

describe('npm run lookup-worker', () => {
  const never = new Promise<string>(() => undefined);

  it.each([['--help'], ['-h']])('%s prints the usage on stdout and exits 0', async (flag) => {
    const io = recordedStreams();
    expect(await main([flag], io, {}, never)).toBe(0);
    expect(io.out).toMatch(/^Usage: npm run lookup-worker -- \[options\]\n/);
    expect(io.err).toBe('');
  });

  it.each([
    [['--token', 't', '--bogus'], {}, "Unknown option '--bogus'"],
    [[], {}, '--token (or PROCESSING_TOKEN) is required'],
    [['--service-url', 'not a url'], { PROCESSING_TOKEN: 't' }, '--service-url "not a url" is not a URL'],
  ])('%j is refused with exit 2 before connecting', async (argv, env, message) => {
    const io = recordedStreams();
    expect(await main(argv, io, env, never)).toBe(2);
    expect(io.err.split('\n')[0]).toBe(`lookup-worker: ${message}`);
    expect(io.out).toBe('');
  });
});
