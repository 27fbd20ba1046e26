import { recordedStreams } from '@codedispatch/postgres/testing';
import { driversFor, main } from './chaos';

/* The command line of `npm run chaos`: refused before anything is started or stopped. */

describe('npm run chaos', () => {
  it('prints its usage with --help and exits 0', async () => {
    const io = recordedStreams();
    expect(await main(['--help'], io)).toBe(0);
    expect(io.out).toContain('Usage: npm run chaos');
    expect(io.out).toContain('--duration <s>');
  });

  it.each([
    [['--bogus'], "Unknown option '--bogus'"],
    [['--duration', '0'], '--duration "0": expected an integer 1..420'],
    [['--duration', '421'], '--duration "421": expected an integer 1..420'],
    [['--rate', 'many'], '--rate "many": expected an integer'],
    [['--instances', '1'], '--instances: at least 2 (one is killed)'],
  ])('refuses %j with exit 2, naming the option', async (argv, message) => {
    const io = recordedStreams();
    expect(await main(argv, io)).toBe(2);
    expect(io.err).toContain(message);
    expect(io.out).toBe('');
  });

  it('gives each area drivers enough for its rate', () => {
    expect(driversFor(4000)).toBe(53);
    expect(driversFor(400)).toBe(6);
    expect(driversFor(10)).toBe(5);
  });
});
