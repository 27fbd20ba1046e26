import { recordedStreams } from '@codedispatch/postgres/testing';
import { main } from './token';

describe('npm run token', () => {
  const saved = process.env.CODEDISPATCH_CONFIG;
  beforeAll(() => {
    delete process.env.CODEDISPATCH_CONFIG; // the demo configuration
  });
  afterAll(() => {
    if (saved !== undefined) process.env.CODEDISPATCH_CONFIG = saved;
  });

  it('prints a driver JWT for --park and --driver', async () => {
    const io = recordedStreams();
    expect(await main(['--park', 'park1', '--driver', 'driver1', '--ttl', '60'], io)).toBe(0);
    expect(io.out).toMatch(/^[\w-]+\.[\w-]+\.[\w-]+\n$/);
    const claims = JSON.parse(Buffer.from(io.out.split('.')[1] as string, 'base64url').toString()) as Record<string, unknown>;
    expect(claims).toMatchObject({ park_db_id: 'park1', driver_id: 'driver1' });
  });

  it.each([['--help'], ['-h']])('%s prints the usage on stdout and exits 0', async (flag) => {
    const io = recordedStreams();
    expect(await main([flag], io)).toBe(0);
    expect(io.out).toMatch(/^Usage: npm run token -- --park <park_db_id> --driver <driver_id> \[--ttl <seconds>\]\n/);
    expect(io.err).toBe('');
  });

  it.each([
    [['--park', 'park1', '--driver', 'driver1', '--bogus'], "Unknown option '--bogus'"],
    [['--park', 'park1', '--driver'], "Option '--driver <value>' argument missing"],
    [['--park', 'park1', '--driver', 'driver1', 'extra'], "Unexpected argument 'extra'"],
    [['--park', 'park1'], '--driver is required'],
    [['--park', ' park1', '--driver', 'driver1'], '--park " park1" is not an identifier'],
    [['--park', 'park1', '--driver', 'driver1', '--ttl', '-5'], "Option '--ttl' argument is ambiguous"],
    [['--park', 'park1', '--driver', 'driver1', '--ttl', 'soon'], '--ttl "soon" is not a positive number of seconds'],
    [
      ['--park', 'park1', '--driver', 'driver1', '--ttl', '86401'],
      '--ttl 86401 is longer than auth.driver_jwt.max_ttl_s (86400): the service would refuse the token',
    ],
  ])('%j is refused with one line and the usage on stderr, exit 2, and no token', async (argv, message) => {
    const io = recordedStreams();
    expect(await main(argv, io)).toBe(2);
    expect(io.out).toBe('');
    const [first, blank] = io.err.split('\n');
    expect(first).toMatch(/^token: /);
    expect(first).toContain(message);
    expect(blank).toBe('');
    expect(io.err).toContain('Usage: npm run token');
  });
});
