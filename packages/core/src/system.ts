import type { Clock, CodeRandom } from './ports';

/*
 * The default adapters of the clock and random ports, for embedders who
 * bring none: the wall clock, and the platform's CSPRNG through Web Crypto
 * (`globalThis.crypto`, in Node 20 and in browsers), so the core still
 * imports nothing.
 */

/** The wall clock. */
export class SystemClock implements Clock {
  now(): Date {
    return new Date();
  }
}

interface WebCrypto {
  getRandomValues(array: Uint32Array): Uint32Array;
}

const webCrypto = (): WebCrypto => {
  const found = (globalThis as { crypto?: Partial<WebCrypto> }).crypto;
  if (typeof found?.getRandomValues !== 'function') throw new Error('no Web Crypto (globalThis.crypto) on this platform');
  return found as WebCrypto;
};

/** Numbers drawn from the CSPRNG at once: a create draws a few dozen. */
const POOL = 1024;
const TWO_32 = 2 ** 32;
const MAX_BOUND = 2 ** 48 - 1;

/**
 * Uniform integers from the platform's CSPRNG (SPEC §5), no modulo bias:
 * values at or above the largest multiple of the bound are drawn again.
 * Bounds up to 2^32 take one 32-bit draw, larger ones (below 2^48) two.
 */
export class WebCryptoCodeRandom implements CodeRandom {
  private readonly crypto = webCrypto();
  private pool = new Uint32Array(POOL);
  private offset = POOL;

  int(bound: number): number {
    if (!Number.isSafeInteger(bound) || bound < 1 || bound > MAX_BOUND) {
      throw new RangeError(`bound must be an integer in [1, 2^48), got ${bound}`);
    }
    if (bound <= TWO_32) {
      const limit = TWO_32 - (TWO_32 % bound);
      for (;;) {
        const x = this.next();
        if (x < limit) return x % bound;
      }
    }
    // 48 bits from two draws; 2^48 is exact in a double.
    const span = 2 ** 48;
    const limit = span - (span % bound);
    for (;;) {
      const x = (this.next() % 65536) * TWO_32 + this.next();
      if (x < limit) return x % bound;
    }
  }

  private next(): number {
    if (this.offset === POOL) {
      this.crypto.getRandomValues(this.pool);
      this.offset = 0;
    }
    return this.pool[this.offset++] as number;
  }
}
