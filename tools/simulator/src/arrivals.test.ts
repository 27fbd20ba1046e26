import { arrivalTimesMs, nextArrivalGapMs } from './arrivals';
import { seededRandom } from './random';

const HOUR_MS = 3_600_000;

describe('Poisson arrivals', () => {
  it('arrive at the rate asked for: 1800/h over 100 h gives 180 000 within 1 %', () => {
    const times = arrivalTimesMs(seededRandom(1), 1_800, 100 * HOUR_MS);
    expect(Math.abs(times.length - 180_000) / 180_000).toBeLessThan(0.01);
  });

  it('have exponential gaps: mean 2 s at 1800/h, standard deviation equal to the mean', () => {
    const r = seededRandom(2);
    const gaps = Array.from({ length: 100_000 }, () => nextArrivalGapMs(r, 1_800));
    const mean = gaps.reduce((a, b) => a + b, 0) / gaps.length;
    const sd = Math.sqrt(gaps.reduce((a, g) => a + (g - mean) ** 2, 0) / gaps.length);
    expect(Math.abs(mean - 2_000) / 2_000).toBeLessThan(0.02);
    expect(Math.abs(sd - mean) / mean).toBeLessThan(0.03);
  });

  it('give counts per window whose variance equals their mean (a Poisson count)', () => {
    // 60/h for 2000 windows of one hour: each count is Poisson(60).
    const times = arrivalTimesMs(seededRandom(3), 60, 2_000 * HOUR_MS);
    const counts = Array.from({ length: 2_000 }, () => 0);
    for (const t of times) counts[Math.floor(t / HOUR_MS)]!++;
    const mean = counts.reduce((a, b) => a + b, 0) / counts.length;
    const variance = counts.reduce((a, c) => a + (c - mean) ** 2, 0) / counts.length;
    expect(mean).toBeGreaterThan(59);
    expect(mean).toBeLessThan(61);
    expect(variance / mean).toBeGreaterThan(0.9);
    expect(variance / mean).toBeLessThan(1.1);
  });

  it('are reproducible by seed, ascending, within the duration; none at rate 0', () => {
    const a = arrivalTimesMs(seededRandom(9), 3_600, 60_000);
    expect(a).toEqual(arrivalTimesMs(seededRandom(9), 3_600, 60_000));
    expect(a.every((t, i) => t >= 0 && t < 60_000 && (i === 0 || t >= (a[i - 1] as number)))).toBe(true);
    expect(arrivalTimesMs(seededRandom(9), 0, HOUR_MS)).toEqual([]);
  });
});
