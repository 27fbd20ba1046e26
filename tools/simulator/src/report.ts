import type { FinalOutcome, PassengerRecord, RequestRecord } from './records';
import type { SimulationResult } from './result';
import { ascending, countBy, percentile } from './stats';

/*
 * The run in numbers: what became of the passengers per area (rides per
 * hour, code entry → assigned latency), what the drivers typed and what the
 * check character caught, what the requests got (429s, errors by code), what
 * the stand-ins saw, how full the code space got. Pure functions of the
 * result, and the text the command prints.
 */

/** 503s the API documents (SPEC §6, docs/api.md): a 503 with one of these codes is an answer, not a failure. */
export const DOCUMENTED_503 = new Set(['code_space_exhausted', 'tracker_unavailable', 'storage_unavailable']);

export interface LatencySummary {
  readonly count: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly maxMs: number;
}

export interface AreaSummary {
  readonly areaId: string;
  readonly ratePerHour: number;
  readonly drivers: number;
  readonly arrivals: number;
  readonly outcomes: Readonly<Record<FinalOutcome, number>>;
  /** Passengers assigned per hour of arrivals. */
  readonly ridesPerHour: number;
  readonly entryToAssigned: LatencySummary;
  /** Code-space use (0..1) at the first and last sample, and the highest seen; NaN without samples. */
  readonly codeSpace: { readonly first: number; readonly last: number; readonly max: number };
}

export interface EntrySummary {
  /** Assign requests answered. */
  readonly entries: number;
  /** By what the driver meant to type. */
  readonly correct: number;
  readonly typos: number;
  readonly swaps: number;
  readonly wrongCodes: number;
  /** Typos and swaps refused by the check character (invalid_code_checksum / invalid_code_format). */
  readonly caughtByCheck: number;
  /** Typos and swaps that got past the check character. */
  readonly missedByCheck: number;
  /** Typos and swaps answered 503 (an outage) before the check could say anything. */
  readonly notChecked: number;
  /** Wrong codes answered code_not_found (they pass the check by construction). */
  readonly wrongCodesNotFound: number;
  readonly tooManyAttempts: number;
}

export interface RouteSummary {
  readonly route: string;
  readonly count: number;
  readonly ok: number;
  readonly clientErrors: number;
  readonly tooManyAttempts: number;
  readonly serverErrors: number;
  readonly timeouts: number;
  readonly networkErrors: number;
  readonly aborted: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly maxMs: number;
}

export interface Summary {
  readonly areas: readonly AreaSummary[];
  readonly all: Omit<AreaSummary, 'areaId' | 'ratePerHour' | 'drivers' | 'codeSpace'>;
  readonly entries: EntrySummary;
  readonly routes: readonly RouteSummary[];
  /** Non-2xx answers by problem code, and requests without an answer (`timeout`, `network_error`); most first. */
  readonly errorsByCode: readonly { readonly code: string; readonly count: number }[];
  /** 5xx answers other than a documented 503. */
  readonly undocumented5xx: number;
  /** Requests that ran past their deadline by more than 1 s (a deadline that did not hold). */
  readonly pastDeadline: number;
  /** Passengers the simulation and the service disagree about (client outcome ≠ final outcome). */
  readonly disagreements: number;
  readonly events: {
    readonly received: number;
    readonly deliveries: number;
    readonly redelivered: number;
    /** Lookup results: `assigned`, `error:<code>`, `409:…` */
    readonly lookups: readonly { readonly result: string; readonly count: number }[];
  };
  readonly outboxDepth: { readonly max: number; readonly last: number };
}

const OUTCOMES: readonly FinalOutcome[] = ['assigned', 'cancelled', 'expired', 'unfinished', 'not_created', 'unknown'];

const latencyOf = (values: readonly number[]): LatencySummary => {
  const sorted = ascending(values);
  return {
    count: sorted.length,
    p50Ms: percentile(sorted, 0.5),
    p99Ms: percentile(sorted, 0.99),
    maxMs: sorted.length === 0 ? NaN : (sorted[sorted.length - 1] as number),
  };
};

/** The outcome that counts: the service's, read after the run, else the simulation's own view. */
export const outcomeOf = (p: PassengerRecord): FinalOutcome => (p.finalOutcome === 'unknown' ? p.clientOutcome : p.finalOutcome);

const outcomeCounts = (passengers: readonly PassengerRecord[]): Record<FinalOutcome, number> => {
  const counts = Object.fromEntries(OUTCOMES.map((o) => [o, 0])) as Record<FinalOutcome, number>;
  for (const p of passengers) counts[outcomeOf(p)]++;
  return counts;
};

const ridesOf = (passengers: readonly PassengerRecord[], trafficMs: number) => {
  const outcomes = outcomeCounts(passengers);
  return {
    arrivals: passengers.length,
    outcomes,
    ridesPerHour: trafficMs > 0 ? (outcomes.assigned * 3_600_000) / trafficMs : NaN,
    entryToAssigned: latencyOf(passengers.flatMap((p) => (p.entryToAssignedMs === null ? [] : [p.entryToAssignedMs]))),
  };
};

const routeSummary = (route: string, records: readonly RequestRecord[]): RouteSummary => {
  const answered = (lo: number, hi: number) => records.filter((r) => r.status !== null && r.status >= lo && r.status < hi).length;
  const latency = latencyOf(records.map((r) => r.latencyMs));
  return {
    route,
    count: records.length,
    ok: answered(200, 300),
    clientErrors: answered(400, 500) - records.filter((r) => r.status === 429).length,
    tooManyAttempts: records.filter((r) => r.status === 429).length,
    serverErrors: answered(500, 600),
    timeouts: records.filter((r) => r.outcome === 'timeout').length,
    networkErrors: records.filter((r) => r.outcome === 'network_error').length,
    aborted: records.filter((r) => r.outcome === 'aborted').length,
    p50Ms: latency.p50Ms,
    p99Ms: latency.p99Ms,
    maxMs: latency.maxMs,
  };
};

const sortedCounts = (counts: Map<string, number>) =>
  [...counts].map(([k, count]) => ({ k, count })).sort((a, b) => b.count - a.count || a.k.localeCompare(b.k));

export const summarise = (r: SimulationResult): Summary => {
  const areas = r.settings.areas.map((area): AreaSummary => {
    const passengers = r.passengers.filter((p) => p.areaId === area.id);
    const use = r.samples.flatMap((s) => (s.codeSpace[area.id] === undefined ? [] : [s.codeSpace[area.id] as number]));
    return {
      areaId: area.id,
      ratePerHour: area.ratePerHour,
      drivers: area.drivers,
      ...ridesOf(passengers, r.trafficMs),
      codeSpace: {
        first: use[0] ?? NaN,
        last: use[use.length - 1] ?? NaN,
        max: use.length === 0 ? NaN : Math.max(...use),
      },
    };
  });
  const byIntent = countBy(r.entries, (e) => e.entry);
  const mistyped = r.entries.filter((e) => e.entry === 'typo' || e.entry === 'swap');
  const refusedByCheck = (answer: string) => answer === 'invalid_code_checksum' || answer === 'invalid_code_format';
  const routes = [...new Set(r.requests.map((q) => q.route))].sort();
  const errors = countBy(
    r.requests.filter((q) => q.outcome !== 'aborted' && (q.outcome !== 'answered' || (q.status ?? 0) >= 400)),
    (q) => (q.outcome === 'answered' ? (q.errorCode ?? `http_${q.status}`) : q.outcome),
  );
  const depths = r.samples.flatMap((s) => (s.outboxDepth === null ? [] : [s.outboxDepth]));
  return {
    areas,
    all: ridesOf(r.passengers, r.trafficMs),
    entries: {
      entries: r.entries.length,
      correct: byIntent.get('correct') ?? 0,
      typos: byIntent.get('typo') ?? 0,
      swaps: byIntent.get('swap') ?? 0,
      wrongCodes: byIntent.get('wrong_code') ?? 0,
      caughtByCheck: mistyped.filter((e) => refusedByCheck(e.answer)).length,
      missedByCheck: mistyped.filter((e) => !refusedByCheck(e.answer) && !DOCUMENTED_503.has(e.answer)).length,
      notChecked: mistyped.filter((e) => DOCUMENTED_503.has(e.answer)).length,
      wrongCodesNotFound: r.entries.filter((e) => e.entry === 'wrong_code' && e.answer === 'code_not_found').length,
      tooManyAttempts: r.entries.filter((e) => e.answer === 'too_many_attempts').length,
    },
    routes: routes.map((route) =>
      routeSummary(
        route,
        r.requests.filter((q) => q.route === route),
      ),
    ),
    errorsByCode: sortedCounts(errors).map(({ k, count }) => ({ code: k, count })),
    undocumented5xx: r.requests.filter(
      (q) => q.status !== null && q.status >= 500 && !(q.status === 503 && DOCUMENTED_503.has(q.errorCode ?? '')),
    ).length,
    pastDeadline: r.requests.filter((q) => q.latencyMs > q.deadlineMs + 1_000).length,
    disagreements: r.passengers.filter((p) => p.finalOutcome !== 'unknown' && p.clientOutcome !== p.finalOutcome).length,
    events: {
      received: r.events.length,
      deliveries: r.events.reduce((n, e) => n + e.deliveries, 0),
      redelivered: r.events.filter((e) => e.deliveries > 1).length,
      lookups: sortedCounts(countBy(r.events, (e) => e.lookup)).map(({ k, count }) => ({ result: k, count })),
    },
    outboxDepth: { max: depths.length === 0 ? NaN : Math.max(...depths), last: depths[depths.length - 1] ?? NaN },
  };
};

// ------------------------------------------------------------------ text

const fmt = (n: number, digits = 0): string => (Number.isFinite(n) ? n.toFixed(digits) : '-');
const pct = (ratio: number, digits = 2): string => (Number.isFinite(ratio) ? `${(ratio * 100).toFixed(digits)} %` : '-');
const share = (part: number, whole: number): string => (whole > 0 ? ` (${((part / whole) * 100).toFixed(1)} %)` : '');

/** A plain table: left-aligned first column, the others right-aligned. */
export const table = (header: readonly string[], rows: readonly (readonly string[])[]): string => {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: readonly string[]) =>
    cells.map((c, i) => (i === 0 ? c.padEnd(widths[i] ?? 0) : c.padStart(widths[i] ?? 0))).join('  ');
  return [line(header), ...rows.map(line)].map((l) => `  ${l.trimEnd()}`).join('\n');
};

export const formatReport = (r: SimulationResult, s: Summary = summarise(r)): string => {
  const st = r.settings;
  const b = st.behaviour;
  const lines: string[] = [];
  const where = st.startedHere
    ? `${st.instances.length} instance${st.instances.length === 1 ? '' : 's'} started here on ${st.storage === 'pglite' ? 'PGlite' : 'PostgreSQL'}`
    : `${st.instances.join(', ')}`;
  lines.push(
    `codedispatch simulation: ${fmt(r.trafficMs / 1000)} s of arrivals, ` +
      (r.stoppedBy === 'signal'
        ? 'then stopped early, without a drain'
        : `${fmt(r.elapsedMs / 1000)} s with the drain${r.drained ? '' : ' (its time ran out before every passenger ended)'}`),
    `  service: ${where}; sink ${st.sink}; seed ${st.seed}`,
    `  drivers type: typos ${pct(b.typoRate, 0)}, swaps ${pct(b.swapRate, 0)}, wrong codes ${pct(b.wrongCodeRate, 0)}; ` +
      `passengers cancel ${pct(b.cancelRate, 0)}; trip ${b.tripS} s; long-poll wait_ms ${b.waitMs}`,
    `  tracker stand-in: refuses ${pct(st.tracker.refusalRate, 0)}, 503 ${pct(st.tracker.unavailableRate, 0)}, latency ~${st.tracker.latencyMs} ms`,
    '',
    'Passengers (outcome as the service has it after the run)',
    table(
      [
        'area',
        'rate/h',
        'drivers',
        'arrived',
        'assigned',
        'cancelled',
        'expired',
        'other',
        'rides/h',
        'entry→assigned p50',
        'p99',
        'max',
      ],
      [
        ...s.areas.map((a) => [a.areaId, fmt(a.ratePerHour), fmt(a.drivers), ...areaCells(a)]),
        [
          'all',
          fmt(st.areas.reduce((n, a) => n + a.ratePerHour, 0)),
          fmt(st.areas.reduce((n, a) => n + a.drivers, 0)),
          ...areaCells(s.all),
        ],
      ],
    ),
  );
  const e = s.entries;
  // Typos answered 503 never reached the check: they are told apart, not counted against it.
  const mistyped = e.typos + e.swaps - e.notChecked;
  lines.push(
    '',
    'Code entries',
    `  ${e.entries} entries: ${e.correct} typed right, ${e.typos} typos, ${e.swaps} swaps, ${e.wrongCodes} wrong codes`,
    `  typos caught by the check character: ${e.caughtByCheck} of ${mistyped}${share(e.caughtByCheck, mistyped)}` +
      (e.missedByCheck > 0 ? `; ${e.missedByCheck} got past it` : '') +
      (e.notChecked > 0 ? ` (and ${e.notChecked} answered 503 during an outage, before any check)` : ''),
    `  wrong codes answered code_not_found: ${e.wrongCodesNotFound} of ${e.wrongCodes}`,
    `  429 too_many_attempts: ${e.tooManyAttempts}`,
    '',
    'Requests',
    table(
      ['route', 'count', '2xx', '4xx', '429', '5xx', 'timeout', 'conn err', 'p50 ms', 'p99 ms', 'max ms'],
      s.routes.map((q) => [
        q.route,
        fmt(q.count),
        fmt(q.ok),
        fmt(q.clientErrors),
        fmt(q.tooManyAttempts),
        fmt(q.serverErrors),
        fmt(q.timeouts),
        fmt(q.networkErrors),
        fmt(q.p50Ms, 1),
        fmt(q.p99Ms, 1),
        fmt(q.maxMs, 1),
      ]),
    ),
    `  5xx other than a documented 503: ${s.undocumented5xx}; requests past their deadline: ${s.pastDeadline}`,
    '',
    'Errors by code',
    s.errorsByCode.length === 0
      ? '  none'
      : table(
          ['code', 'count'],
          s.errorsByCode.map((x) => [x.code, fmt(x.count)]),
        ),
    '',
    'Processing stand-in',
    `  events received: ${s.events.received} (deliveries ${s.events.deliveries}, redelivered ${s.events.redelivered})` +
      (r.webhook !== null
        ? `; webhook answered ${r.webhook.accepted} with 204, ${r.webhook.failed} with 503 on purpose, ${r.webhook.badSignature} bad signatures` +
          (r.webhook.unchecked > 0 ? `, ${r.webhook.unchecked} not checked (no webhook secret)` : '')
        : ''),
    `  lookups: ${s.events.lookups.map((l) => `${l.result} ${l.count}`).join(', ') || 'none'}`,
    '',
    'Tracker stand-in',
    `  acquires ${r.tracker.acquires}: acquired ${r.tracker.acquired}, not found ${r.tracker.notFound}, busy ${r.tracker.busy}, ` +
      `out of area ${r.tracker.outOfArea}, 503 ${r.tracker.unavailable}, hung ${r.tracker.hung}`,
    '',
    'Code space used (codedispatch_code_space_used_ratio) and outbox',
    ...s.areas.map(
      (a) =>
        `  ${a.areaId}: ${pct(a.codeSpace.first, 3)} at the start → ${pct(a.codeSpace.last, 3)} at the end (max ${pct(a.codeSpace.max, 3)})`,
    ),
    `  outbox depth: max ${fmt(s.outboxDepth.max)}, at the end ${fmt(s.outboxDepth.last)}`,
  );
  if (s.disagreements > 0)
    lines.push(
      '',
      `Passengers whose outcome the simulation saw otherwise than the service: ${s.disagreements} (see passengers.csv)`,
    );
  return `${lines.join('\n')}\n`;
};

const areaCells = (a: Omit<AreaSummary, 'areaId' | 'ratePerHour' | 'drivers' | 'codeSpace'>): string[] => {
  const o = a.outcomes;
  return [
    fmt(a.arrivals),
    fmt(o.assigned),
    fmt(o.cancelled),
    fmt(o.expired),
    fmt(o.unfinished + o.not_created + o.unknown),
    fmt(a.ridesPerHour),
    `${fmt(a.entryToAssigned.p50Ms)} ms`,
    `${fmt(a.entryToAssigned.p99Ms)} ms`,
    `${fmt(a.entryToAssigned.maxMs)} ms`,
  ];
};
