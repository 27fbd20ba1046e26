import * as E from 'fp-ts/Either';
import { parseDocument } from './ejson';

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
