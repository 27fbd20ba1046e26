import { recordedStreams } from '../testing';
import { main } from './activity.bench';

// Only the command line: the benchmark itself runs with `npm run bench:activity`.
describe('bench:activity command line', () => {
  it.each([['--help'], ['-h']])('%s prints the usage on stdout and exits 0 without measuring', async (flag) => {
    const io = recordedStreams();
    expect(await main([flag], io)).toBe(0);
    expect(io.out).toMatch(/^Usage: npm run bench:activity/);
    expect(io.out).toContain('RECORDS=20000');
    expect(io.err).toBe('');
  });

  it.each([[['--bogus']], [['300']]])('%j is refused with exit 2 before measuring anything', async (argv) => {
    const io = recordedStreams();
    const log = jest.spyOn(console, 'log');
    try {
      expect(await main(argv, io)).toBe(2);
      expect(log).not.toHaveBeenCalled();
    } finally {
      log.mockRestore();
    }
    expect(io.out).toBe('');
    expect(io.err).toMatch(/^bench:activity: .*\n\nUsage: npm run bench:activity/);
  });
});
