import type { Random } from './random';

/*
 * Passengers arrive as a Poisson process: independent arrivals at a constant
 * rate, so the gaps between them are exponential with mean 1/rate.
 */

const MS_PER_HOUR = 3_600_000;

/** The gap before the next arrival, in ms, at `ratePerHour` (Infinity when the rate is 0). */
export const nextArrivalGapMs = (random: Random, ratePerHour: number): number =>
  ratePerHour > 0 ? random.exponential(MS_PER_HOUR / ratePerHour) : Number.POSITIVE_INFINITY;

/** Every arrival time in [0, durationMs), in ms from the start, ascending. */
export const arrivalTimesMs = (random: Random, ratePerHour: number, durationMs: number): number[] => {
  const times: number[] = [];
  for (let t = nextArrivalGapMs(random, ratePerHour); t < durationMs; t += nextArrivalGapMs(random, ratePerHour)) times.push(t);
  return times;
};
