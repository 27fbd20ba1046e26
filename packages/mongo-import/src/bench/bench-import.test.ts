import { recordedStreams } from '@codedispatch/postgres/testing';
import { main } from './bench-import';

// Only the command line: the benchmark itself runs with `npm run bench:import`.
describe('bench:import command line', () => {
  it.each([['--help'], ['-h']])('%s prints the usage on stdout and exits 0 without generating a dump', async (flag) => {
    const io = recordedStreams();
    expect(await main([flag], io)).toBe(0);
    expect(io.out).toMatch(/^Usage: npm run bench:import /);
    expect(io.out).toContain('--only <target>');
    expect(io.err).toBe('');
  });

  it.each([
    [['--bogus'], "Unknown option '--bogus'"],
    [['--only'], "Option '--only <value>' argument missing"],
    [['--only', 'mongo'], "--only must be one of pipeline, pglite, postgres, not 'mongo'"],
    [['1000', '2000'], "Unexpected argument '2000'"],
    [['many'], "N must be a positive integer, not 'many'"],
    [['--child', 'pipeline'], '--child needs'],
  ])('%j is refused with exit 2 before generating anything', async (argv, message) => {
    const io = recordedStreams();
    expect(await main(argv, io)).toBe(2);
    expect(io.out).toBe('');
    expect(io.err.split('\n')[0]).toContain(`bench:import: ${message}`);
    expect(io.err).toContain('Usage: npm run bench:import ');
  });
});
