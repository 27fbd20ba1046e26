/*
 * The few statistics the report needs, on plain arrays.
 */

/** Nearest-rank percentile (q in [0, 1]) of ascending values; NaN when there are none. */
export const percentile = (sorted: ArrayLike<number>, q: number): number =>
  sorted.length === 0 ? NaN : (sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))] as number);

export const ascending = (values: readonly number[]): Float64Array => Float64Array.from(values).sort();

export const mean = (values: readonly number[]): number =>
  values.length === 0 ? NaN : values.reduce((a, b) => a + b, 0) / values.length;

/** Counts by key, keys in first-seen order. */
export const countBy = <T>(items: Iterable<T>, key: (item: T) => string): Map<string, number> => {
  const counts = new Map<string, number>();
  for (const item of items) {
    const k = key(item);
    counts.set(k, (counts.get(k) ?? 0) + 1);
  }
  return counts;
};
