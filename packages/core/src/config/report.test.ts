import * as E from 'fp-ts/Either';
import * as t from 'io-ts';
import { describeValue, formatIssuePath, reportErrors, type ValidationIssue } from './report';

const report = <A>(codec: t.Type<A, unknown, unknown>, input: unknown): ValidationIssue[] => {
  const result = codec.decode(input);
  return E.isLeft(result) ? reportErrors(result.left) : [];
};

const PositiveInt = t.refinement(t.number, (n) => Number.isInteger(n) && n >= 1, 'integer >= 1');

describe('reportErrors', () => {
  it('names nested keys and real array indices', () => {
    const Body = t.type({ order: t.type({ id: t.string, items: t.array(t.type({ qty: PositiveInt })) }) });
    expect(report(Body, { order: { id: 5, items: [{ qty: 1 }, { qty: -3 }, {}] } })).toEqual([
      { path: 'order.id', message: 'expected string, got 5' },
      { path: 'order.items[1].qty', message: 'expected integer >= 1, got -3' },
      { path: 'order.items[2].qty', message: 'required' },
    ]);
  });

  it('skips the member indices of unions and intersections', () => {
    const Body = t.intersection([
      t.type({ order_id: t.string }),
      t.partial({ wait_ms: PositiveInt, tags: t.readonlyArray(t.string) }),
    ]);
    expect(report(Body, { wait_ms: 0, tags: ['a', 1] })).toEqual([
      { path: 'order_id', message: 'required' },
      { path: 'wait_ms', message: 'expected integer >= 1, got 0' },
      { path: 'tags[1]', message: 'expected string, got 1' },
    ]);
    const Either = t.union([t.type({ a: t.string }), t.type({ b: t.number })]);
    expect(report(t.type({ x: Either }), { x: { b: 'b' } })).toEqual([
      { path: 'x.a', message: 'required' },
      { path: 'x.b', message: 'expected number, got "b"' },
    ]);
    // A tagged union reports only the member its tag selects.
    const Tracker = t.union([t.type({ kind: t.literal('memory') }), t.type({ kind: t.literal('http'), url: t.string })]);
    expect(report(t.type({ tracker: Tracker }), { tracker: { kind: 'http' } })).toEqual([
      { path: 'tracker.url', message: 'required' },
    ]);
  });

  it('a union failing on the value itself is one expectation, not one per member', () => {
    const Id = t.union([t.string, t.number], 'string | number');
    expect(report(t.type({ id: Id }), { id: true })).toEqual([{ path: 'id', message: 'expected string | number, got true' }]);
  });

  it('keeps tuple indices and record keys, quoting keys that are not plain words', () => {
    const Doc = t.type({ pair: t.tuple([t.string, t.number]), labels: t.record(t.string, t.string) });
    expect(report(Doc, { pair: ['a', 'b'], labels: { en: 'x', 'pt BR': 1, '': 2, '0': 3 } })).toEqual([
      { path: 'pair[1]', message: 'expected number, got "b"' },
      { path: 'labels.0', message: 'expected string, got 3' }, // integer-like keys enumerate first
      { path: 'labels["pt BR"]', message: 'expected string, got 1' },
      { path: 'labels[""]', message: 'expected string, got 2' },
    ]);
  });

  it('uses the message a codec gives, and the root is the empty path', () => {
    const Even = new t.Type<number, number, unknown>(
      'even',
      (u): u is number => typeof u === 'number' && u % 2 === 0,
      (u, c) => (typeof u === 'number' && u % 2 === 0 ? t.success(u) : t.failure(u, c, 'must be even')),
      t.identity,
    );
    expect(report(Even, 3)).toEqual([{ path: '', message: 'must be even' }]);
    expect(report(t.string, null)).toEqual([{ path: '', message: 'expected string, got null' }]);
  });

  it('drops duplicate issues', () => {
    const errors: t.Errors = [
      { value: 1, context: [{ key: '', type: t.string, actual: 1 }] },
      { value: 1, context: [{ key: '', type: t.string, actual: 1 }] },
      { value: 1, context: [] },
    ];
    expect(reportErrors(errors)).toEqual([
      { path: '', message: 'expected string, got 1' },
      { path: '', message: 'expected a valid value, got 1' },
    ]);
  });
});

describe('formatIssuePath', () => {
  it('joins words with dots, indices in brackets, others quoted', () => {
    expect(formatIssuePath([])).toBe('');
    expect(formatIssuePath(['areas', 'svo_d', 'generator', 'group', 1])).toBe('areas.svo_d.generator.group[1]');
    expect(formatIssuePath([0, 'a'])).toBe('[0].a');
    expect(formatIssuePath(['a.b', 'c"d', 'ok-1'])).toBe('["a.b"]["c\\"d"].ok-1');
  });
});

describe('describeValue', () => {
  it.each<[unknown, string]>([
    [undefined, 'nothing'],
    [null, 'null'],
    ['abc', '"abc"'],
    ['x'.repeat(50), `"${'x'.repeat(40)}…"`],
    [-3, '-3'],
    [Number.NaN, 'NaN'],
    [false, 'false'],
    [12n, '12n'],
    [Symbol('s'), 'a symbol'],
    [() => 1, 'a function'],
    [[1], 'an array'],
    [{ toString: 5 }, 'an object'],
    [Object.create(null), 'an object'],
  ])('%p → %s', (value, shown) => {
    expect(describeValue(value)).toBe(shown);
  });
});
