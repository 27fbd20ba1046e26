import { randomBytes, randomInt } from 'node:crypto';
import type { CodeRandom } from '@codedispatch/core';

/** The wall clock: the core's, exported here too for those who took it from this package. */
export { SystemClock } from '@codedispatch/core';

/** `crypto.randomInt` takes ranges below 2^48. */
const MAX_BOUND = 2 ** 48 - 1;

/** Random bytes drawn from the CSPRNG at once: a create draws a few hundred numbers. */
const POOL_BYTES = 4096;
const TWO_32 = 2 ** 32;

/**
 * Codes from the operating system's CSPRNG (SPEC §5), uniform (no modulo
 * bias). Numbers below 2^32 come from a pool of random bytes by rejection
 * sampling, four bytes each: one system call per thousand numbers instead of
 * a `randomInt` call per character of every candidate. Larger bounds go to
 * `randomInt`.
 */
export class CryptoCodeRandom implements CodeRandom {
  private pool = Buffer.alloc(0);
  private offset = 0;

  int(bound: number): number {
    if (!Number.isSafeInteger(bound) || bound < 1 || bound > MAX_BOUND) {
      throw new RangeError(`bound must be an integer in [1, 2^48), got ${bound}`);
    }
    if (bound > TWO_32) return randomInt(bound);
    // Values at or above the largest multiple of `bound` are drawn again, so every residue is equally likely.
    const limit = TWO_32 - (TWO_32 % bound);
    for (;;) {
      if (this.offset + 4 > this.pool.length) {
        this.pool = randomBytes(POOL_BYTES);
        this.offset = 0;
      }
      const x = this.pool.readUInt32LE(this.offset);
      this.offset += 4;
      if (x < limit) return x % bound;
    }
  }
}
