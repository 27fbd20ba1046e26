import * as E from 'fp-ts/Either';
import { recordedStreams } from '../testing';
import { EXIT_USAGE, readCommandLine, refuseCommandLine } from './command-line';

const SPEC = {
  name: 'cmd',
  usage: 'Usage: cmd --file <file> [--quick] [N]\n',
  options: { file: { type: 'string' }, quick: { type: 'boolean' } },
  positionals: 1,
} as const;

describe('readCommandLine', () => {
  it('gives the values and positionals of a good command line, writing nothing', () => {
    const io = recordedStreams();
    expect(readCommandLine(SPEC, ['--file', 'a.json', '--quick', '12'], io)).toEqual(
      E.right({ values: { file: 'a.json', quick: true }, positionals: ['12'] }),
    );
    expect(readCommandLine(SPEC, ['--file=b.json'], io)).toEqual(E.right({ values: { file: 'b.json' }, positionals: [] }));
    expect(io.out + io.err).toBe('');
  });

  it.each([['--help'], ['-h'], ['--file', 'x', '--help']])('answers %s with the usage on stdout and exit 0', (...argv) => {
    const io = recordedStreams();
    expect(readCommandLine(SPEC, argv, io)).toEqual(E.left(0));
    expect(io.out).toBe(SPEC.usage);
    expect(io.err).toBe('');
  });

  it.each([
    [['--bogus'], "cmd: Unknown option '--bogus'"],
    [['-x'], "cmd: Unknown option '-x'"],
    [['--file'], "cmd: Option '--file <value>' argument missing"],
    [
      ['--file', '--quick'],
      "cmd: Option '--file' argument is ambiguous. Did you forget to specify the option argument for '--file'? To specify an option argument starting with a dash use '--file=-XYZ'.",
    ],
    [['--quick=yes'], "cmd: Option '--quick' does not take an argument"],
    [['1', '2'], "cmd: Unexpected argument '2'"],
  ])('refuses %j with one line and the usage on stderr, exit 2', (argv, message) => {
    const io = recordedStreams();
    expect(readCommandLine(SPEC, argv, io)).toEqual(E.left(EXIT_USAGE));
    expect(io.out).toBe('');
    const [first, blank, ...rest] = io.err.split('\n');
    expect(first).toBe(message);
    expect(blank).toBe('');
    expect(rest.join('\n')).toBe(SPEC.usage);
  });

  it('refuses any positional argument when the command takes none', () => {
    const io = recordedStreams();
    expect(readCommandLine({ ...SPEC, positionals: undefined }, ['now'], io)).toEqual(E.left(EXIT_USAGE));
    expect(io.err).toContain("cmd: Unexpected argument 'now'");
  });
});

describe('refuseCommandLine', () => {
  it('writes the message and the usage on stderr and gives exit 2', () => {
    const io = recordedStreams();
    expect(refuseCommandLine(SPEC, io, '--file <file> is required')).toBe(EXIT_USAGE);
    expect(io.err).toBe(`cmd: --file <file> is required\n\n${SPEC.usage}`);
    expect(io.out).toBe('');
  });
});
