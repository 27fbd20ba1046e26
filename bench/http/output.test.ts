import { commandOf, median } from './output';

describe('median', () => {
  it.each([
    [[3, 1, 2], 2],
    [[4, 1, 3, 2], 2.5],
    [[5], 5],
    [[2, NaN, 4], 3],
  ])('of %j is %d', (values, expected) => {
    expect(median(values)).toBe(expected);
  });

  it('of nothing is NaN', () => {
    expect(median([])).toBeNaN();
  });
});

describe('commandOf', () => {
  it('names the part and the BENCH_ settings in effect, sorted, leaving out where output goes and empty ones', () => {
    const env = {
      BENCH_SECONDS: '3',
      BENCH_ONLY: 'compare,mixed',
      BENCH_JSON: '/tmp/out.json',
      BENCH_KEEP_SCRATCH: '1',
      BENCH_ROUNDS: '2',
      BENCH_PGLITE: '',
      PATH: '/usr/bin',
    };
    expect(commandOf('compare', env)).toBe('BENCH_ONLY=compare BENCH_ROUNDS=2 BENCH_SECONDS=3 npm run bench:http');
  });

  it('is the bare command when nothing is set', () => {
    expect(commandOf('writes', {})).toBe('BENCH_ONLY=writes npm run bench:http');
  });
});
