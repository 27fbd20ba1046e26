/*
 * Whether a soak's memory stayed flat: for every instance and series (RSS,
 * V8 heap used), a least-squares line over the fit window — the second half
 * of the steady load, after the warm-up — and its slope as growth per 10
 * minutes, beside the medians of the load's first and second halves. A
 * series grows when that growth is both material (more than a share of the
 * series' median in the fit window) and clear of the noise (more than a few
 * standard errors of the slope): a garbage collector's sawtooth fitted over a
 * few minutes tilts the line either way by itself. Pure functions of the
 * samples.
 */

/** One reading: ms from the start of the run, and the value (bytes). */
export interface Point {
  readonly t: number;
  readonly v: number;
}

export interface Line {
  /** Per ms. */
  readonly slope: number;
  /** The value at t = 0. */
  readonly intercept: number;
  /** The slope's standard error (per ms), from the residuals; NaN with two points. */
  readonly slopeStandardError: number;
}

/** The least-squares line through the points; null with fewer than two distinct times. */
export const leastSquares = (points: readonly Point[]): Line | null => {
  const n = points.length;
  if (n < 2) return null;
  let st = 0;
  let sv = 0;
  for (const p of points) {
    st += p.t;
    sv += p.v;
  }
  const mt = st / n;
  const mv = sv / n;
  let stt = 0;
  let stv = 0;
  for (const p of points) {
    stt += (p.t - mt) ** 2;
    stv += (p.t - mt) * (p.v - mv);
  }
  if (stt === 0) return null;
  const slope = stv / stt;
  const intercept = mv - slope * mt;
  let residuals = 0;
  for (const p of points) residuals += (p.v - intercept - slope * p.t) ** 2;
  return { slope, intercept, slopeStandardError: n > 2 ? Math.sqrt(residuals / (n - 2) / stt) : NaN };
};

/** The median; NaN when there are no values. */
export const median = (values: readonly number[]): number => {
  if (values.length === 0) return NaN;
  const sorted = Float64Array.from(values).sort();
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? (sorted[mid] as number) : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
};

export const TEN_MINUTES_MS = 600_000;

export interface FlatnessRule {
  /** Growth per 10 minutes allowed, as a share of the series' median over the fit window. */
  readonly maxGrowthShare: number;
  /** A growth counts only when the slope is this many of its standard errors above zero. */
  readonly minStandardErrors: number;
  /** Fewest samples in the fit window for a verdict. */
  readonly minSamples: number;
}

/**
 * 10 % of the median per 10 minutes: a process of 150 MB growing that fast
 * would gain 2 GB a day. Three standard errors: a flat series' fitted slope
 * lies that far from zero about once in a thousand, were the noise
 * independent from sample to sample (it is not quite: the collector's
 * sawtooth is regular, so take it as a guard, not a probability).
 */
export const DEFAULT_FLATNESS: FlatnessRule = { maxGrowthShare: 0.1, minStandardErrors: 3, minSamples: 20 };

/** The steady load's span, ms from the start of the run: the fit window is its second half. */
export interface LoadSpan {
  readonly startMs: number;
  readonly endMs: number;
}

export type SeriesVerdict = 'flat' | 'growing' | 'too_few_samples';

export interface SeriesJudgement {
  /** Samples in the fit window. */
  readonly samples: number;
  /** The first and last readings of the load span; NaN without any. */
  readonly start: number;
  readonly end: number;
  readonly firstHalfMedian: number;
  readonly secondHalfMedian: number;
  /** The fitted line's slope over the fit window, as bytes per 10 minutes; NaN without a line. */
  readonly growthPer10Min: number;
  /** Its standard error, likewise. */
  readonly standardErrorPer10Min: number;
  /** The growth per 10 minutes allowed. */
  readonly limitPer10Min: number;
  /** The fitted line, for the charts; null without one. */
  readonly line: Line | null;
  readonly fitFromMs: number;
  readonly fitToMs: number;
  readonly verdict: SeriesVerdict;
}

/** One series of one instance (RSS, or heap used), judged on the load span's second half. */
export const judgeSeries = (points: readonly Point[], span: LoadSpan, rule: FlatnessRule = DEFAULT_FLATNESS): SeriesJudgement => {
  const mid = span.startMs + (span.endMs - span.startMs) / 2;
  const load = points.filter((p) => Number.isFinite(p.v) && p.t >= span.startMs && p.t <= span.endMs);
  const first = load.filter((p) => p.t < mid);
  const second = load.filter((p) => p.t >= mid);
  const line = second.length >= 2 ? leastSquares(second) : null;
  const secondHalfMedian = median(second.map((p) => p.v));
  const growthPer10Min = line === null ? NaN : line.slope * TEN_MINUTES_MS;
  const standardErrorPer10Min = line === null ? NaN : line.slopeStandardError * TEN_MINUTES_MS;
  const limitPer10Min = rule.maxGrowthShare * secondHalfMedian;
  const grows = growthPer10Min > limitPer10Min && growthPer10Min > rule.minStandardErrors * standardErrorPer10Min;
  return {
    samples: second.length,
    start: load[0]?.v ?? NaN,
    end: load[load.length - 1]?.v ?? NaN,
    firstHalfMedian: median(first.map((p) => p.v)),
    secondHalfMedian,
    growthPer10Min,
    standardErrorPer10Min,
    limitPer10Min,
    line,
    fitFromMs: mid,
    fitToMs: span.endMs,
    verdict: second.length < rule.minSamples || line === null ? 'too_few_samples' : grows ? 'growing' : 'flat',
  };
};

export type SoakVerdict = 'flat' | 'growing' | 'inconclusive';

/** Every series flat: flat; any growing: growing; else (too few samples somewhere) inconclusive. */
export const soakVerdict = (verdicts: readonly SeriesVerdict[]): SoakVerdict =>
  verdicts.includes('growing')
    ? 'growing'
    : verdicts.length === 0 || verdicts.includes('too_few_samples')
      ? 'inconclusive'
      : 'flat';
