import { recordedStreams } from '@codedispatch/postgres/testing';
import { main } from './soak';

/** The command line only: every refusal happens before a database or a service is touched. */
const run = async (argv: readonly string[], env: Record<string, string> = {}) => {
  const io = recordedStreams();
  const code = await main(argv, io, env);
  return { code, ...io };
};

describe('npm run soak', () => {
  it('prints its usage for --help and runs nothing', async () => {
    const { code, out, err } = await run(['--help']);
    expect(code).toBe(0);
    expect(out).toContain('Usage: npm run soak');
    expect(out).toContain('--sample-s <s>');
    expect(out).toContain('--max-growth-pct');
    expect(err).toBe('');
  });

  it.each([
    [['--duration', 'ten'], '--duration "ten" is not a positive number'],
    [['--sample-s', '0'], '--sample-s "0" is not a positive number'],
    [['--duration', '60', '--sample-s', '40'], '--sample-s must be at most half of --duration'],
    [['--instances', '1.5'], '--instances "1.5" is not an integer of at least 1'],
    [['--pglite', '--instances', '2'], '--instances above 1 needs PostgreSQL'],
    [['--pglite', '--database-url', 'postgres://h/db'], '--database-url and --pglite exclude each other'],
    [['--database-url', 'mysql://h/db'], '--database-url "mysql://h/db" is not a postgres:// URL'],
    [['--areas', 'a,b', '--rate', 'c=100'], '--rate: "c=100" does not name an area of --areas'],
    [['--drivers', '2.5'], '--drivers "2.5" is not a whole number'],
    [['--areas', 'a,a'], '--areas names an area twice'],
    [['--seed=-1'], '--seed "-1" is not an integer of at least 0'],
    [['--max-growth-pct', 'x'], '--max-growth-pct "x" is not a positive number'],
    [['--bogus'], "Unknown option '--bogus'"],
  ])('refuses %j, naming the option, with exit 2', async (argv, message) => {
    const { code, out, err } = await run(argv);
    expect(code).toBe(2);
    expect(err).toContain(`soak: `);
    expect(err).toContain(message);
    expect(err).toContain('Usage: npm run soak');
    expect(out).toBe('');
  });

  it('takes the server from TEST_DATABASE_URL and refuses it when it is not PostgreSQL', async () => {
    const { code, err } = await run([], { TEST_DATABASE_URL: 'http://example.test/' });
    expect(code).toBe(2);
    expect(err).toContain('--database-url "http://example.test/" is not a postgres:// URL');
  });
});
