import { seededRandom } from './random';
import {
  DEFAULT_FLATNESS,
  judgeSeries,
  leastSquares,
  median,
  soakVerdict,
  TEN_MINUTES_MS,
  type LoadSpan,
  type Point,
} from './soak-verdict';

const MB = 2 ** 20;
const SPAN: LoadSpan = { startMs: 0, endMs: TEN_MINUTES_MS };

/** A reading every 5 s over the ten minutes of the load, from `value(t)`. */
const series = (value: (t: number, i: number) => number): Point[] =>
  Array.from({ length: TEN_MINUTES_MS / 5_000 + 1 }, (_, i) => ({ t: i * 5_000, v: value(i * 5_000, i) }));

describe('leastSquares', () => {
  it('finds the slope and intercept of points on a line, with no standard error', () => {
    const line = leastSquares([0, 1, 2, 3].map((t) => ({ t, v: 5 + 2 * t })));
    expect(line?.slope).toBeCloseTo(2, 12);
    expect(line?.intercept).toBeCloseTo(5, 12);
    expect(line?.slopeStandardError).toBeCloseTo(0, 12);
  });

  it('gives the standard error of the slope from the residuals', () => {
    // Residuals +1, -1, -1, +1 around v = 0: s² = 4 / 2, Σ(t - t̄)² = 5.
    const line = leastSquares([1, -1, -1, 1].map((v, t) => ({ t, v })));
    expect(line?.slope).toBeCloseTo(0, 12);
    expect(line?.slopeStandardError).toBeCloseTo(Math.sqrt(2 / 5), 12);
  });

  it('has no line through fewer than two distinct times', () => {
    expect(leastSquares([])).toBeNull();
    expect(leastSquares([{ t: 1, v: 1 }])).toBeNull();
    expect(
      leastSquares([
        { t: 1, v: 1 },
        { t: 1, v: 2 },
      ]),
    ).toBeNull();
  });
});

describe('median', () => {
  it('takes the middle value, or the mean of the middle two, without reordering its input', () => {
    const values = [5, 1, 3];
    expect(median(values)).toBe(3);
    expect(values).toEqual([5, 1, 3]);
    expect(median([4, 1, 3, 2])).toBe(2.5);
    expect(median([])).toBeNaN();
  });
});

describe('judgeSeries', () => {
  it('finds a flat series flat, with no growth', () => {
    const j = judgeSeries(
      series(() => 120 * MB),
      SPAN,
    );
    expect(j.verdict).toBe('flat');
    expect(j.growthPer10Min).toBeCloseTo(0, 6);
    expect(j.firstHalfMedian).toBe(120 * MB);
    expect(j.secondHalfMedian).toBe(120 * MB);
    expect(j.limitPer10Min).toBeCloseTo(12 * MB, 6);
  });

  it('finds a linear leak of 30 MB per 10 minutes on 120 MB growing, and measures it', () => {
    const j = judgeSeries(
      series((t) => 120 * MB + (30 * MB * t) / TEN_MINUTES_MS),
      SPAN,
    );
    expect(j.verdict).toBe('growing');
    expect(j.growthPer10Min / MB).toBeCloseTo(30, 6);
    expect(j.secondHalfMedian).toBeGreaterThan(j.firstHalfMedian);
  });

  it('finds a leak growing under noise, once it is past the limit', () => {
    const random = seededRandom(3);
    const j = judgeSeries(
      series((t) => 120 * MB + (40 * MB * t) / TEN_MINUTES_MS + random.between(-8, 8) * MB),
      SPAN,
    );
    expect(j.verdict).toBe('growing');
    expect(j.growthPer10Min / MB).toBeGreaterThan(25);
    expect(j.growthPer10Min / MB).toBeLessThan(55);
  });

  it('keeps a leak below the limit flat: 5 MB per 10 minutes on 120 MB is less than 10 %', () => {
    const j = judgeSeries(
      series((t) => 120 * MB + (5 * MB * t) / TEN_MINUTES_MS),
      SPAN,
    );
    expect(j.growthPer10Min / MB).toBeCloseTo(5, 6);
    expect(j.verdict).toBe('flat');
  });

  it.each([1, 2, 3, 4, 5, 6, 7, 8])('finds noise of ±18 MB around a flat 120 MB flat (seed %i)', (seed) => {
    const random = seededRandom(seed);
    const j = judgeSeries(
      series(() => 120 * MB + random.between(-18, 18) * MB),
      SPAN,
    );
    expect(j.verdict).toBe('flat');
    expect(Math.abs(j.growthPer10Min)).toBeLessThan(3 * j.standardErrorPer10Min + 1);
  });

  it("finds a garbage collector's sawtooth flat, wherever the fit window cuts it", () => {
    for (const phase of [0, 3, 7, 11]) {
      // Heap used: 30 MB climbing by 1.5 MB a sample, collected every 12 samples (a minute).
      const j = judgeSeries(
        series((_, i) => 30 * MB + ((i + phase) % 12) * 1.5 * MB),
        SPAN,
      );
      expect(j.verdict).toBe('flat');
    }
  });

  it('judges the second half of the load only: a warm-up climb is not growth', () => {
    const j = judgeSeries(
      series((t) => (t < 120_000 ? 60 * MB + (60 * MB * t) / 120_000 : 120 * MB)),
      SPAN,
    );
    expect(j.verdict).toBe('flat');
    expect(j.fitFromMs).toBe(300_000);
    expect(j.fitToMs).toBe(600_000);
    expect(j.start).toBe(60 * MB);
    expect(j.end).toBe(120 * MB);
    expect(j.firstHalfMedian).toBe(120 * MB);
  });

  it('leaves out readings after the load and gives no verdict on too few samples', () => {
    const points = series((t) => 100 * MB + t);
    const j = judgeSeries(points, { startMs: 0, endMs: 60_000 });
    expect(j.samples).toBe(7);
    expect(j.end).toBe(100 * MB + 60_000);
    expect(j.verdict).toBe('too_few_samples');
    expect(judgeSeries([], SPAN).verdict).toBe('too_few_samples');
  });

  it('takes the share of the rule', () => {
    const leak = series((t) => 100 * MB + (8 * MB * t) / TEN_MINUTES_MS);
    expect(judgeSeries(leak, SPAN).verdict).toBe('flat');
    expect(judgeSeries(leak, SPAN, { ...DEFAULT_FLATNESS, maxGrowthShare: 0.05 }).verdict).toBe('growing');
  });
});

describe('soakVerdict', () => {
  it('is growing when any series grows, inconclusive when one lacks samples, flat otherwise', () => {
    expect(soakVerdict(['flat', 'flat'])).toBe('flat');
    expect(soakVerdict(['flat', 'growing', 'too_few_samples'])).toBe('growing');
    expect(soakVerdict(['flat', 'too_few_samples'])).toBe('inconclusive');
    expect(soakVerdict([])).toBe('inconclusive');
  });
});
