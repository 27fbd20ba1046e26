import { Binary, Double, EJSON, Int32, Long, ObjectId, Timestamp } from 'bson';
import type * as Bson from 'bson';
import fc from 'fast-check';
import * as E from 'fp-ts/Either';
import { parseDocument, parseDocumentWithBson } from './ejson';

// bson's EJSON is frozen: counting its reads takes a module mock (delegating to the real one).
jest.mock('bson', () => {
  const actual: typeof Bson = jest.requireActual('bson');
  return { ...actual, EJSON: { ...actual.EJSON, parse: jest.fn(actual.EJSON.parse) } };
});

const parsed = (text: string): unknown => {
  const r = parseDocument(text);
  return E.isLeft(r) ? `rejected: ${r.left}` : r.right;
};

describe('parseDocument', () => {
  it('reads relaxed Extended JSON into plain values', () => {
    expect(
      parsed('{"_id":{"$oid":"5f1b2c3d4e5f6a7b8c9d0e1f"},"n":1,"x":2.5,"created":{"$date":"2026-11-26T09:50:00.000Z"},"s":"a"}'),
    ).toEqual({ _id: '5f1b2c3d4e5f6a7b8c9d0e1f', n: 1, x: 2.5, created: new Date('2026-11-26T09:50:00.000Z'), s: 'a' });
  });

  it('reads canonical Extended JSON: $numberLong dates, $numberInt, $numberLong beyond 2^53 kept exact', () => {
    expect(
      parsed(
        '{"_id":{"$oid":"5f1b2c3d4e5f6a7b8c9d0e1f"},"created":{"$date":{"$numberLong":"1795680000000"}},"i":{"$numberInt":"5"},' +
          '"l":{"$numberLong":"42"},"big":{"$numberLong":"9007199254740993"},"d":{"$numberDouble":"1.5"},"u":{"$binary":{"base64":"AAECAwQFBgcICQoLDA0ODw==","subType":"04"}}}',
      ),
    ).toEqual({
      _id: '5f1b2c3d4e5f6a7b8c9d0e1f',
      created: new Date(1795680000000),
      i: 5,
      l: 42,
      big: '9007199254740993',
      d: 1.5,
      u: '00010203-0405-0607-0809-0a0b0c0d0e0f',
    });
  });

  it('keeps nested documents and arrays, and a __proto__ key as an ordinary field', () => {
    const doc = parsed(
      '{"a":[{"$numberInt":"1"},{"b":{"$oid":"5f1b2c3d4e5f6a7b8c9d0e1f"}}],"__proto__":{"polluted":true}}',
    ) as Record<string, unknown>;
    expect(doc.a).toEqual([1, { b: '5f1b2c3d4e5f6a7b8c9d0e1f' }]);
    expect(Object.getPrototypeOf(doc)).toBe(Object.prototype);
    expect(Object.prototype.hasOwnProperty.call(doc, '__proto__')).toBe(true);
  });

  it.each([
    ['{"a": oops}', 'not a JSON document: '],
    ['{"_id":{"$oid":"zz"}}', 'not a JSON document: '],
    ['[1, 2]', 'not a JSON document: an array'],
    ['"text"', 'not a JSON document: a string'],
    ['42', 'not a JSON document: a number'],
    ['null', 'not a JSON document: null'],
    ['{"$timestamp":{"t":1,"i":2}}', 'not a JSON document: an object (Timestamp)'],
    ['{"$oid":"5f1b2c3d4e5f6a7b8c9d0e1f"}', 'not a JSON document: a string'],
  ])('rejects %s', (text, reason) => {
    expect(parsed(text)).toEqual(expect.stringContaining(`rejected: ${reason}`));
  });
});

/** Dates as their time (an invalid one as 'invalid'), so that two readings can be compared with toEqual. */
const comparable = (value: unknown): unknown => {
  if (value instanceof Date) return { date: Number.isNaN(value.getTime()) ? 'invalid' : value.getTime() };
  if (Array.isArray(value)) return value.map(comparable);
  if (typeof value === 'object' && value !== null) {
    const out: Record<string, unknown> = {};
    for (const key of Object.keys(value)) {
      Object.defineProperty(out, key, {
        value: comparable((value as Record<string, unknown>)[key]),
        enumerable: true,
        writable: true,
        configurable: true,
      });
    }
    return { proto: Object.getPrototypeOf(value) === Object.prototype, fields: out };
  }
  return value;
};

const bothReadings = (text: string) => ({
  fast: comparable(parseDocument(text)),
  bson: comparable(parseDocumentWithBson(text)),
});

describe('parseDocument reads as bson does', () => {
  it.each([
    '{"_id":{"$oid":"5F1B2C3D4E5F6A7B8C9D0E1F"}}',
    '{"_id":{"$oid":"5f1b2c3d4e5f6a7b8c9d0e1"}}',
    '{"_id":{"$oid":"5f1b2c3d4e5f6a7b8c9d0e1f","x":1}}',
    '{"_id":{"$oid":null}}',
    '{"_id":{"$oid":12}}',
    '{"d":{"$date":"2026-11-26"}}',
    '{"d":{"$date":"2026-11-26T09:50:00+03:00"}}',
    '{"d":{"$date":"garbage"}}',
    '{"d":{"$date":""}}',
    '{"d":{"$date":1795680000000}}',
    '{"d":{"$date":5}}',
    '{"d":{"$date":null}}',
    '{"d":{"$date":"2026-11-26T09:50:00Z","x":1}}',
    '{"d":{"$date":{"$numberLong":"-62135596800000"}}}',
    '{"d":{"$date":{"$numberLong":"8640000000000001"}}}',
    '{"d":{"$date":{"$numberLong":"99999999999999999999"}}}',
    '{"d":{"$date":{"$numberLong":"+5"}}}',
    '{"d":{"$date":{"$numberLong":"-0"}}}',
    '{"d":{"$date":{"$numberLong":"0001"}}}',
    '{"d":{"$date":{"$numberLong":"12","x":1}}}',
    '{"d":{"$date":{"$numberLong":12}}}',
    '{"d":{"$date":[1]}}',
    '{"n":9007199254740993,"m":1e18,"l":1e300,"z":-0,"f":1.5,"i":-2147483649}',
    '{"a":[1,{"$numberInt":"2"},[{"$date":"2026-11-26T09:50:00Z"}]]}',
    '{"__proto__":{"$oid":"5f1b2c3d4e5f6a7b8c9d0e1f"},"x":{"__proto__":1}}',
    '{"k\\u0000":1}',
    '{"k":"v\\u0000"}',
    '{"$undefined":true}',
    '{"u":{"$undefined":true}}',
    '{"r":{"$ref":"c","$id":1}}',
    '{"s":"$date","$":1}',
    '{"x":{"$":1}}',
    '{"a": oops}',
    '{}',
  ])('%s', (text) => {
    const { fast, bson } = bothReadings(text);
    expect(fast).toEqual(bson);
  });

  it("reads a mongoexport line of strings, numbers, ObjectIds and dates without bson's reviver", () => {
    const reviver = jest.mocked(EJSON.parse);
    const relaxed =
      '{"_id":{"$oid":"5f1b2c3d4e5f6a7b8c9d0e1f"},"order_id":"o1","n":1,"created":{"$date":"2026-11-26T09:50:00.000Z"}}';
    const canonical =
      '{"_id":{"$oid":"5f1b2c3d4e5f6a7b8c9d0e1f"},"order_id":"o1","created":{"$date":{"$numberLong":"1795680000000"}}}';
    expect(parseDocument(relaxed)).toEqual(parseDocumentWithBson(relaxed));
    expect(parseDocument(canonical)).toEqual(parseDocumentWithBson(canonical));
    reviver.mockClear();
    parseDocument(relaxed);
    parseDocument(canonical);
    expect(reviver).not.toHaveBeenCalled();
    parseDocument('{"order_id":"o1","price":{"$numberDecimal":"1.5"}}');
    expect(reviver).toHaveBeenCalledTimes(1);
  });

  it('on generated documents, relaxed and canonical', () => {
    const key = fc.oneof(fc.string({ maxLength: 6 }), fc.constantFrom('$date', '$oid', '$numberLong', '__proto__', '_id'));
    const leaf = fc.oneof(
      fc.string({ maxLength: 8 }),
      fc.constantFrom('$date', '5f1b2c3d4e5f6a7b8c9d0e1f', ''),
      fc.boolean(),
      fc.constant(null),
      fc.integer(),
      fc.double(),
      fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n }).map((n) => Long.fromBigInt(n)),
      fc.integer().map((n) => new Int32(n)),
      fc.double().map((n) => new Double(n)),
      fc.date().map((d) => d),
      fc.integer({ min: -8_640_000_000_000_000, max: 8_640_000_000_000_000 }).map((ms) => new Date(ms)),
      fc.uint8Array({ minLength: 12, maxLength: 12 }).map((bytes) => new ObjectId(bytes)),
      fc.uint8Array({ minLength: 16, maxLength: 16 }).map((bytes) => new Binary(bytes, 4)),
      fc.integer({ min: 0 }).map((t) => new Timestamp({ t, i: 1 })),
    );
    const { doc } = fc.letrec((tie) => ({
      value: fc.oneof({ depthSize: 'small', withCrossShrink: true }, leaf, tie('doc'), fc.array(tie('value'), { maxLength: 3 })),
      doc: fc.dictionary(key, tie('value'), { maxKeys: 5 }),
    }));
    fc.assert(
      fc.property(doc, fc.boolean(), (d, relaxed) => {
        const text = EJSON.stringify(d, { relaxed });
        const { fast, bson } = bothReadings(text);
        expect(fast).toEqual(bson);
      }),
      { numRuns: 2000 },
    );
  });
});
