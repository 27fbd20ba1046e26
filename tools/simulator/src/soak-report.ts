import { toCsv } from './output';
import { summarise, table } from './report';
import type { SoakResult, SoakSample } from './soak-run';
import {
  DEFAULT_FLATNESS,
  judgeSeries,
  median,
  soakVerdict,
  type FlatnessRule,
  type LoadSpan,
  type Point,
  type SeriesJudgement,
  type SoakVerdict,
} from './soak-verdict';

/*
 * A soak in numbers: per instance its RSS and heap at the start, the
 * medians of the load's halves, the end, the fitted growth per 10 minutes
 * and the verdict; the event-loop delay, CPU and the outbox's depth; the
 * simulated traffic. Pure functions of the result, the text the command
 * prints, and the samples as CSV.
 */

export const MB = 2 ** 20;

/** Where and when the soak ran, for the report's head (what `uptime` says before and after, the commit). */
export interface SoakContext {
  readonly startedAt: string;
  readonly commit: string | null;
  /** The work tree had changes the commit does not hold. */
  readonly dirty: boolean;
  readonly node: string;
  readonly cpus: number;
  readonly loadBefore: readonly number[];
  readonly loadAfter: readonly number[];
}

export interface Range {
  readonly min: number;
  readonly median: number;
  readonly max: number;
}

export interface InstanceFigures {
  readonly instance: number;
  readonly rss: SeriesJudgement;
  readonly heapUsed: SeriesJudgement;
  /** V8's committed heap (`nodejs_heap_size_total_bytes`): not judged, but RSS follows it. */
  readonly heapTotal: SeriesJudgement;
  /** Over the load's samples but the first (its window is the start-up). */
  readonly lagP99Ms: Range;
  readonly lagMeanMs: Range;
  readonly lagMaxMs: number;
  readonly cpuPercent: Range;
  /** The largest gap between /metrics' RSS and /proc's VmRSS at one sample (they are read a few ms apart). */
  readonly rssCrossCheckMaxDiff: number;
  /** Samples whose /metrics did not answer. */
  readonly missedScrapes: number;
}

export interface SoakSummary {
  readonly span: LoadSpan;
  readonly rule: FlatnessRule;
  readonly instances: readonly InstanceFigures[];
  /** `codedispatch_outbox_depth` as any instance read it during the load, and at the last sample. */
  readonly outboxDepth: { readonly max: number; readonly last: number };
  readonly verdict: SoakVerdict;
}

const range = (values: readonly number[]): Range =>
  values.length === 0
    ? { min: NaN, median: NaN, max: NaN }
    : { min: Math.min(...values), median: median(values), max: Math.max(...values) };

const finite = (values: readonly (number | null)[]): number[] =>
  values.filter((v): v is number => v !== null && Number.isFinite(v));

/** CPU use of an instance between each sample and the one before it, in % of one core; null for the first. */
export const cpuPercents = (samples: readonly SoakSample[], instance: number): (number | null)[] =>
  samples.map((s, i) => {
    const before = samples[i - 1]?.instances.find((x) => x.instance === instance);
    const now = s.instances.find((x) => x.instance === instance);
    const prev = samples[i - 1];
    if (prev === undefined || before?.cpuSeconds == null || now?.cpuSeconds == null || s.at === prev.at) return null;
    return ((now.cpuSeconds - before.cpuSeconds) / ((s.at - prev.at) / 1_000)) * 100;
  });

export const summariseSoak = (
  r: Pick<SoakResult, 'instances' | 'loadMs' | 'samples'>,
  rule: FlatnessRule = DEFAULT_FLATNESS,
): SoakSummary => {
  const span: LoadSpan = { startMs: 0, endMs: r.loadMs };
  const inLoad = r.samples.filter((s) => s.at <= span.endMs);
  const instances = Array.from({ length: r.instances }, (_, i): InstanceFigures => {
    const n = i + 1;
    const of = (s: SoakSample) => s.instances.find((x) => x.instance === n);
    const series = (pick: (x: NonNullable<ReturnType<typeof of>>) => number | null): Point[] =>
      r.samples.flatMap((s) => {
        const x = of(s);
        const v = x === undefined ? null : pick(x);
        return v === null ? [] : [{ t: s.at, v }];
      });
    // The first sample's event-loop window is the start-up (everything since the process began), not the load.
    const windowed = inLoad.slice(1).flatMap((s) => of(s) ?? []);
    const cpu = cpuPercents(r.samples, n).filter((_, k) => {
      const at = (r.samples[k] as SoakSample).at;
      return at > span.startMs && at <= span.endMs;
    });
    return {
      instance: n,
      rss: judgeSeries(
        series((x) => x.rssBytes ?? x.vmRssBytes),
        span,
        rule,
      ),
      heapUsed: judgeSeries(
        series((x) => x.heapUsedBytes),
        span,
        rule,
      ),
      heapTotal: judgeSeries(
        series((x) => x.heapTotalBytes),
        span,
        rule,
      ),
      lagP99Ms: range(finite(windowed.map((x) => x.lagP99S)).map((s) => s * 1_000)),
      lagMeanMs: range(finite(windowed.map((x) => x.lagMeanS)).map((s) => s * 1_000)),
      lagMaxMs: Math.max(-Infinity, ...finite(windowed.map((x) => x.lagMaxS)).map((s) => s * 1_000)),
      cpuPercent: range(finite(cpu)),
      rssCrossCheckMaxDiff: Math.max(
        0,
        ...r.samples.flatMap((s) => {
          const x = of(s);
          return x?.rssBytes != null && x.vmRssBytes != null ? [Math.abs(x.rssBytes - x.vmRssBytes)] : [];
        }),
      ),
      missedScrapes: r.samples.filter((s) => s.at <= span.endMs && of(s)?.scrapeMs == null).length,
    };
  });
  const depths = inLoad.flatMap((s) => finite(s.instances.map((x) => x.outboxDepth)));
  const last = r.samples[r.samples.length - 1];
  const lastDepths = last === undefined ? [] : finite(last.instances.map((x) => x.outboxDepth));
  return {
    span,
    rule,
    instances,
    outboxDepth: {
      max: depths.length === 0 ? NaN : Math.max(...depths),
      last: lastDepths.length === 0 ? NaN : Math.max(...lastDepths),
    },
    verdict: soakVerdict(instances.flatMap((x) => [x.rss.verdict, x.heapUsed.verdict])),
  };
};

// ------------------------------------------------------------------ text

const fmt = (n: number, digits = 0): string => (Number.isFinite(n) ? n.toFixed(digits) : '-');
const mb = (bytes: number, digits = 1): string => fmt(bytes / MB, digits);
const signedMb = (bytes: number): string => (Number.isFinite(bytes) ? `${bytes >= 0 ? '+' : '−'}${mb(Math.abs(bytes), 2)}` : '-');
const minutes = (ms: number): string => {
  const s = Math.round(ms / 1_000);
  return s % 60 === 0 ? `${s / 60} min` : s >= 120 ? `${(s / 60).toFixed(1)} min` : `${s} s`;
};
const loads = (l: readonly number[]): string => l.map((x) => x.toFixed(2)).join(', ');

/** The verdict and why, one sentence. */
export const verdictLine = (s: SoakSummary): string => {
  const rule = `${fmt(s.rule.maxGrowthShare * 100)} % of its median per 10 minutes, by more than ${fmt(s.rule.minStandardErrors)} standard errors`;
  const fit = `${minutes(s.span.endMs / 2)}–${minutes(s.span.endMs)}`;
  const judged = s.instances.flatMap((x) => [
    { name: `instance ${x.instance} RSS`, j: x.rss },
    { name: `instance ${x.instance} heap`, j: x.heapUsed },
  ]);
  const described = (list: typeof judged) =>
    list.map(({ name, j }) => `${name} ${signedMb(j.growthPer10Min)} MB (limit ${mb(j.limitPer10Min, 2)})`).join(', ');
  switch (s.verdict) {
    case 'flat':
      return `FLAT: over ${fit} no instance's RSS or heap grew faster than ${rule}.`;
    case 'growing':
      return `GROWING: ${described(judged.filter(({ j }) => j.verdict === 'growing'))} per 10 minutes over ${fit}: faster than ${rule}.`;
    case 'inconclusive':
      return `INCONCLUSIVE: fewer than ${s.rule.minSamples} samples in the fit window (${fit}) for some instance: run longer, or sample more often.`;
    default: {
      const never: never = s.verdict;
      return never;
    }
  }
};

/**
 * What the verdict alone hides: a flat series whose slope passed one test of
 * the two — above the limit but within the noise, or clear of the noise but
 * below the limit (a steady rise).
 */
export const verdictNotes = (s: SoakSummary): string[] =>
  s.instances.flatMap((x) =>
    (
      [
        ['RSS', x.rss],
        ['heap', x.heapUsed],
      ] as const
    ).flatMap(([name, j]) => {
      if (j.verdict !== 'flat' || !(j.growthPer10Min > 0)) return [];
      const errors = j.growthPer10Min / j.standardErrorPer10Min;
      const what = `instance ${x.instance} ${name} ${signedMb(j.growthPer10Min)} ± ${mb(j.standardErrorPer10Min, 2)} MB per 10 min`;
      if (j.growthPer10Min > j.limitPer10Min)
        return [
          `${what}: above its limit (${mb(j.limitPer10Min, 2)}) but ${fmt(errors, 1)} standard errors from zero, within the noise`,
        ];
      if (errors > s.rule.minStandardErrors)
        return [
          `${what}: a steady rise (${errors > 99 ? 'over 99' : fmt(errors)} standard errors) at ${fmt((j.growthPer10Min / j.limitPer10Min) * 100)} % of its limit`,
        ];
      return [];
    }),
  );

export const formatSoakReport = (r: SoakResult, s: SoakSummary, c: SoakContext): string => {
  const sim = summarise(r.simulation);
  const traffic = r.simulation.requests.filter((q) => q.actor !== 'monitor' && q.actor !== 'verifier');
  const lines: string[] = [];
  lines.push(
    `codedispatch soak: ${minutes(r.loadMs)} of steady load` +
      (r.simulation.stoppedBy === 'signal' ? ` (stopped early; ${minutes(r.durationMs)} asked)` : '') +
      `, sampled every ${fmt(r.sampleMs / 1_000)} s (${r.samples.length} samples)`,
    `  service: ${r.instances} instance${r.instances === 1 ? '' : 's'} started here on ${r.storage === 'postgres' ? 'PostgreSQL (a scratch database)' : 'PGlite'}; sink webhook; seed ${r.simulation.settings.seed}`,
    `  load: ${r.areas.map((a) => `${a.id} ${fmt(a.ratePerHour)}/h`).join(', ')} passengers, ${r.areas.map((a) => a.drivers).join('/')} drivers; ` +
      `${traffic.length} requests (${fmt(traffic.length / (r.simulation.elapsedMs / 1_000), 1)}/s over the run)`,
    `  commit ${c.commit ?? 'unknown'}${c.dirty ? ' (with uncommitted changes)' : ''}; node ${c.node}; ${c.cpus} CPUs; started ${c.startedAt}`,
    `  load average (1, 5, 15 min) before ${loads(c.loadBefore)}, after ${loads(c.loadAfter)}`,
    '',
    `Memory per instance, MB (2^20 bytes); slope: least squares over ${minutes(s.span.endMs / 2)}–${minutes(s.span.endMs)}, the load's second half`,
    table(
      [
        'instance',
        'series',
        'start',
        '1st-half median',
        '2nd-half median',
        'end',
        'slope MB/10 min',
        '± SE',
        'limit',
        'samples',
        'verdict',
      ],
      s.instances.flatMap((x) =>
        (
          [
            ['RSS', x.rss],
            ['heap used', x.heapUsed],
          ] as const
        ).map(([name, j]) => [
          String(x.instance),
          name,
          mb(j.start),
          mb(j.firstHalfMedian),
          mb(j.secondHalfMedian),
          mb(j.end),
          signedMb(j.growthPer10Min),
          mb(j.standardErrorPer10Min, 2),
          mb(j.limitPer10Min, 2),
          String(j.samples),
          j.verdict === 'too_few_samples' ? 'too few' : j.verdict,
        ]),
      ),
    ),
    `  V8's committed heap (nodejs_heap_size_total_bytes, not judged), 1st- → 2nd-half median and slope: ${s.instances
      .map(
        (x) =>
          `instance ${x.instance} ${mb(x.heapTotal.firstHalfMedian)} → ${mb(x.heapTotal.secondHalfMedian)} MB, ${signedMb(x.heapTotal.growthPer10Min)} MB/10 min`,
      )
      .join('; ')}`,
    `  RSS is /metrics' process_resident_memory_bytes; /proc's VmRSS differed from it by at most ${s.instances
      .map((x) => `${mb(x.rssCrossCheckMaxDiff)} MB`)
      .join(', ')}`,
    '',
    `Event-loop delay (prom-client, each sample's ${fmt(r.sampleMs / 1_000)} s window) and CPU, during the load`,
    table(
      [
        'instance',
        'p99 min ms',
        'p99 median',
        'p99 max',
        'mean median ms',
        'max ms',
        'CPU median %',
        'CPU max %',
        'missed scrapes',
      ],
      s.instances.map((x) => [
        String(x.instance),
        fmt(x.lagP99Ms.min, 1),
        fmt(x.lagP99Ms.median, 1),
        fmt(x.lagP99Ms.max, 1),
        fmt(x.lagMeanMs.median, 1),
        fmt(x.lagMaxMs, 1),
        fmt(x.cpuPercent.median),
        fmt(x.cpuPercent.max),
        String(x.missedScrapes),
      ]),
    ),
    '',
    `Outbox depth (codedispatch_outbox_depth): max ${fmt(s.outboxDepth.max)} during the load, ${fmt(s.outboxDepth.last)} at the last sample`,
    '',
    `Traffic: ${sim.all.arrivals} passengers, ${sim.all.outcomes.assigned} assigned, ${sim.all.outcomes.cancelled} cancelled, ` +
      `${sim.all.outcomes.expired} expired, ${sim.all.outcomes.unfinished + sim.all.outcomes.not_created + sim.all.outcomes.unknown} other; ` +
      `${fmt(sim.all.ridesPerHour)} rides/h; entry→assigned p50 ${fmt(sim.all.entryToAssigned.p50Ms)} ms, p99 ${fmt(sim.all.entryToAssigned.p99Ms)} ms`,
    `  5xx other than a documented 503: ${sim.undocumented5xx}; requests past their deadline: ${sim.pastDeadline}; ` +
      `timeouts ${traffic.filter((q) => q.outcome === 'timeout').length}; failed connections ${traffic.filter((q) => q.outcome === 'network_error').length}`,
    '',
    verdictLine(s),
    ...verdictNotes(s).map((note) => `  ${note}`),
  );
  return `${lines.join('\n')}\n`;
};

// ------------------------------------------------------------------ CSV

/** One row per sample and instance. */
export const soakSamplesCsv = (r: SoakResult): string => {
  const cpu = new Map(Array.from({ length: r.instances }, (_, i) => [i + 1, cpuPercents(r.samples, i + 1)]));
  const ms = (s: number | null) => (s === null ? null : s * 1_000);
  const inMb = (b: number | null) => (b === null ? null : b / MB);
  return toCsv(
    [
      't_s',
      'phase',
      'instance',
      'rss_mb',
      'vmrss_mb',
      'heap_used_mb',
      'heap_total_mb',
      'external_mb',
      'cpu_pct',
      'eventloop_p50_ms',
      'eventloop_p99_ms',
      'eventloop_mean_ms',
      'eventloop_max_ms',
      'outbox_depth',
      'outbox_oldest_age_s',
      'metrics_ms',
    ],
    r.samples.flatMap((s, k) =>
      s.instances.map((x) => [
        s.at / 1_000,
        s.at <= r.loadMs ? 'load' : 'after',
        x.instance,
        inMb(x.rssBytes),
        inMb(x.vmRssBytes),
        inMb(x.heapUsedBytes),
        inMb(x.heapTotalBytes),
        inMb(x.externalBytes),
        cpu.get(x.instance)?.[k] ?? null,
        ms(x.lagP50S),
        ms(x.lagP99S),
        ms(x.lagMeanS),
        ms(x.lagMaxS),
        x.outboxDepth,
        x.outboxOldestAgeS,
        x.scrapeMs,
      ]),
    ),
  );
};
