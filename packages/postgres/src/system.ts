import { randomInt } from 'node:crypto';
import type { Clock, CodeRandom } from '@codedispatch/core';

/** The wall clock. */
export class SystemClock implements Clock {
  now(): Date {
    return new Date();
  }
}

/** `crypto.randomInt` takes ranges below 2^48. */
const MAX_BOUND = 2 ** 48 - 1;

/** Codes from the operating system's CSPRNG (SPEC §5), uniform (no modulo bias). */
export class CryptoCodeRandom implements CodeRandom {
  int(bound: number): number {
    if (!Number.isSafeInteger(bound) || bound < 1 || bound > MAX_BOUND) {
      throw new RangeError(`bound must be an integer in [1, 2^48), got ${bound}`);
    }
    return randomInt(bound);
  }
}
