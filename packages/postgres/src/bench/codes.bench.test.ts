import { recordedStreams } from '../testing';
import { main } from './codes.bench';

// Only the command line: the benchmark itself runs with `npm run bench:codes`.
describe('bench:codes command line', () => {
  it.each([['--help'], ['-h']])('%s prints the usage on stdout and exits 0 without measuring', async (flag) => {
    const io = recordedStreams();
    expect(await main([flag], io)).toBe(0);
    expect(io.out).toMatch(/^Usage: npm run bench:codes/);
    expect(io.out).toContain('CREATES=300');
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
    expect(io.err).toMatch(/^bench:codes: .*\n\nUsage: npm run bench:codes/);
  });
});
