import fc from 'fast-check';
import { fnv1a32, rolloutBucket, stableHash } from './stable-hash';

/** The reference: FNV-1a 32 over the platform's own UTF-8 encoder. */
const reference = (s: string): number => {
  let hash = 0x811c9dc5;
  for (const byte of new TextEncoder().encode(s)) hash = Math.imul(hash ^ byte, 0x01000193) >>> 0;
  return hash;
};

describe('fnv1a32', () => {
  it.each([
    ['', 0x811c9dc5],
    ['a', 0xe40c292c],
    ['b', 0xe70c2de5],
    ['foobar', 0xbf9cf968],
    ['code_dispatch:user-1', reference('code_dispatch:user-1')],
  ])('fnv1a32(%j) = %d', (input, expected) => {
    expect(fnv1a32(input)).toBe(expected);
  });

  it('hashes the UTF-8 bytes: 2-, 3- and 4-byte characters and lone surrogates', () => {
    // "é" = C3 A9, "€" = E2 82 AC, "😀" = F0 9F 98 80; a lone surrogate counts as U+FFFD = EF BF BD.
    for (const s of ['é', 'Назовите', '€', '😀', 'a\ud800b', '\udc00', 'x\ud83d']) expect(fnv1a32(s)).toBe(reference(s));
    expect(fnv1a32('\ud800')).toBe(fnv1a32('\ufffd'));
  });

  it('agrees with TextEncoder on any string', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 40 }), (s) => fnv1a32(s) === reference(s)),
      { numRuns: 2000 },
    );
  });

  it('is an unsigned 32-bit integer, and stableHash is fnv1a32', () => {
    fc.assert(fc.property(fc.string(), (s) => Number.isInteger(fnv1a32(s)) && fnv1a32(s) >= 0 && fnv1a32(s) < 2 ** 32));
    expect(stableHash).toBe(fnv1a32);
  });
});

describe('rolloutBucket', () => {
  it('is fnv1a32("code_dispatch:" + key) mod 10000', () => {
    expect(rolloutBucket('user-1')).toBe(reference('code_dispatch:user-1') % 10_000);
    fc.assert(
      fc.property(
        fc.string(),
        (key) => rolloutBucket(key) >= 0 && rolloutBucket(key) < 10_000 && Number.isInteger(rolloutBucket(key)),
      ),
    );
  });
});
