/**
 * The stable hash behind the `code_dispatch` rollout, specified so that any
 * other service (or a SQL query, or a shell one-liner) can reproduce a user's
 * bucket:
 *
 *   hash   = FNV-1a, 32 bits, over the UTF-8 bytes of the string
 *            (offset basis 0x811c9dc5, prime 0x01000193; per byte:
 *            hash ^= byte, then hash *= prime modulo 2^32)
 *   bucket = hash("code_dispatch:" + userKey) mod 10000      (0..9999)
 *   on     ⇔ bucket < round(rollout_percent × 100)
 *
 * A lone UTF-16 surrogate (not valid Unicode) is encoded as U+FFFD, as
 * `TextEncoder` and `Buffer.from(s, 'utf8')` do. Known values:
 * fnv1a32("") = 0x811c9dc5, fnv1a32("a") = 0xe40c292c,
 * fnv1a32("foobar") = 0xbf9cf968.
 */

const OFFSET_BASIS = 0x811c9dc5;
const PRIME = 0x01000193;

/** Calls `emit` with each byte of the UTF-8 encoding of `s`, in order. */
const forEachUtf8Byte = (s: string, emit: (byte: number) => void): void => {
  for (let i = 0; i < s.length; i++) {
    let cp = s.charCodeAt(i);
    if (cp >= 0xd800 && cp <= 0xdfff) {
      const next = i + 1 < s.length ? s.charCodeAt(i + 1) : 0;
      if (cp <= 0xdbff && next >= 0xdc00 && next <= 0xdfff) {
        cp = 0x10000 + ((cp - 0xd800) << 10) + (next - 0xdc00);
        i++;
      } else {
        cp = 0xfffd;
      }
    }
    if (cp < 0x80) {
      emit(cp);
    } else if (cp < 0x800) {
      emit(0xc0 | (cp >> 6));
      emit(0x80 | (cp & 0x3f));
    } else if (cp < 0x10000) {
      emit(0xe0 | (cp >> 12));
      emit(0x80 | ((cp >> 6) & 0x3f));
      emit(0x80 | (cp & 0x3f));
    } else {
      emit(0xf0 | (cp >> 18));
      emit(0x80 | ((cp >> 12) & 0x3f));
      emit(0x80 | ((cp >> 6) & 0x3f));
      emit(0x80 | (cp & 0x3f));
    }
  }
};

/** FNV-1a, 32 bits, over the UTF-8 bytes of `s`: an unsigned integer in [0, 2^32). */
export const fnv1a32 = (s: string): number => {
  let hash = OFFSET_BASIS;
  forEachUtf8Byte(s, (byte) => {
    hash = Math.imul(hash ^ byte, PRIME) >>> 0;
  });
  return hash >>> 0;
};

/** The project's stable hash (FNV-1a 32 over UTF-8). */
export const stableHash = fnv1a32;

export const ROLLOUT_BUCKETS = 10_000;

/** The rollout bucket of a user (or of an order, when no user is known): 0..9999. */
export const rolloutBucket = (userKey: string): number => stableHash(`code_dispatch:${userKey}`) % ROLLOUT_BUCKETS;
