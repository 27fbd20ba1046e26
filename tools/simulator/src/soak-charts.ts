import { renderPng } from './charts';
import { cpuPercents, MB, type SoakSummary } from './soak-report';
import type { SoakResult } from './soak-run';

/*
 * A soak's charts, drawn as the simulator's are (Vega-Lite → SVG → PNG):
 * memory per instance with the fit window shaded and the fitted lines drawn,
 * the event-loop delay, the outbox's depth, and the load (requests per
 * second, CPU per instance). A dashed rule marks the end of the load when
 * samples follow it (the drain and the reading of the records).
 */

type Spec = Record<string, unknown>;

const FONT = 'DejaVu Sans';
const WIDTH = 760;
const HEIGHT = 240;
const INSTANCE_COLOURS = ['#3b6fb6', '#d4783d', '#4c9a5b', '#8a5cc2', '#d43d3d', '#777777'];
/** prom-client's event-loop monitoring resolution (its default, which the service keeps). */
const IDLE_LOOP_MS = 10;

interface Row {
  readonly x: number;
  readonly instance: string;
  readonly series: string;
  readonly value: number;
}

interface Axis {
  readonly scale: number;
  readonly title: string;
  readonly endX: number;
}

const axisOf = (r: SoakResult): Axis => {
  const endMs = Math.max(r.loadMs, r.samples[r.samples.length - 1]?.at ?? 0);
  const minutes = endMs >= 180_000;
  const scale = minutes ? 60_000 : 1_000;
  return { scale, title: minutes ? 'time since the load started (min)' : 'time since the load started (s)', endX: endMs / scale };
};

const instanceName = (n: number): string => `instance ${n}`;

const instanceColours = (r: SoakResult) => {
  const domain = Array.from({ length: r.instances }, (_, i) => instanceName(i + 1));
  return { domain, range: domain.map((_, i) => INSTANCE_COLOURS[i % INSTANCE_COLOURS.length] as string) };
};

const frame = (title: string, subtitle: readonly string[], body: Spec): Spec => ({
  $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
  padding: { left: 8, right: 12, top: 8, bottom: 8 },
  title: { text: title, subtitle: [...subtitle], anchor: 'start', offset: 14 },
  config: {
    font: FONT,
    title: { fontSize: 15, subtitleFontSize: 11, subtitleColor: '#555' },
    axis: { labelFontSize: 11, titleFontSize: 12 },
    legend: { labelFontSize: 11, titleFontSize: 11, symbolSize: 140, symbolStrokeWidth: 2.5 },
  },
  ...body,
});

/** The end of the load, when samples come after it. */
const loadEndRule = (r: SoakResult, a: Axis): Spec[] =>
  (r.samples[r.samples.length - 1]?.at ?? 0) > r.loadMs + 1
    ? [
        {
          data: { values: [{ x: r.loadMs / a.scale, label: 'load ends' }] },
          layer: [
            { mark: { type: 'rule', strokeDash: [4, 4], color: '#777' }, encoding: { x: { field: 'x', type: 'quantitative' } } },
            {
              mark: { type: 'text', align: 'center', baseline: 'bottom', dy: -3, color: '#555', fontSize: 11 },
              encoding: { x: { field: 'x', type: 'quantitative' }, y: { value: 0 }, text: { field: 'label' } },
            },
          ],
        },
      ]
    : [];

const xEncoding = (a: Axis, fromX = 0) => ({
  field: 'x',
  type: 'quantitative',
  title: a.title,
  scale: { domain: [fromX, a.endX], nice: false },
  axis: { format: '~g' },
});

/** Lines per instance (colour) and series (dash). */
const lines = (
  r: SoakResult,
  a: Axis,
  rows: readonly Row[],
  o: { readonly yTitle: string; readonly dashes: readonly string[]; readonly fromX?: number },
): Spec => ({
  data: { values: rows },
  mark: { type: 'line', strokeWidth: 1.8, interpolate: 'linear' },
  encoding: {
    x: xEncoding(a, o.fromX),
    y: { field: 'value', type: 'quantitative', title: o.yTitle },
    color: { field: 'instance', type: 'nominal', title: null, scale: instanceColours(r), legend: { orient: 'right' } },
    strokeDash: {
      field: 'series',
      type: 'nominal',
      title: null,
      scale: { domain: [...o.dashes], range: o.dashes.map((_, i) => (i === 0 ? [1, 0] : i === 1 ? [6, 3] : [2, 2])) },
      legend: o.dashes.length > 1 ? { orient: 'right', symbolStrokeColor: '#333' } : null,
    },
    detail: { field: 'series' },
  },
});

const memoryChart = (r: SoakResult, s: SoakSummary, a: Axis): Spec => {
  const rows: Row[] = r.samples.flatMap((sample) =>
    sample.instances.flatMap((x) => [
      ...(x.rssBytes !== null
        ? [{ x: sample.at / a.scale, instance: instanceName(x.instance), series: 'RSS', value: x.rssBytes / MB }]
        : []),
      ...(x.heapUsedBytes !== null
        ? [{ x: sample.at / a.scale, instance: instanceName(x.instance), series: 'V8 heap used', value: x.heapUsedBytes / MB }]
        : []),
    ]),
  );
  const fitted = s.instances.flatMap((x) =>
    (
      [
        ['RSS', x.rss],
        ['V8 heap used', x.heapUsed],
      ] as const
    ).flatMap(([series, j]) =>
      j.line === null
        ? []
        : [j.fitFromMs, j.fitToMs].map((t) => ({
            x: t / a.scale,
            key: `${x.instance} ${series}`,
            value: ((j.line?.intercept ?? 0) + (j.line?.slope ?? 0) * t) / MB,
          })),
    ),
  );
  const slopes = s.instances
    .map((x) => `instance ${x.instance}: RSS ${slope(x.rss.growthPer10Min)}, heap ${slope(x.heapUsed.growthPer10Min)}`)
    .join(' \u00b7 ');
  const fit = s.instances[0]?.rss;
  const overview: Spec = {
    width: WIDTH,
    height: HEIGHT,
    layer: [
      ...(fit === undefined
        ? []
        : [
            {
              data: { values: [{ x: fit.fitFromMs / a.scale, x2: fit.fitToMs / a.scale }] },
              mark: { type: 'rect', color: '#e6e6e6', opacity: 0.6 },
              encoding: { x: { field: 'x', type: 'quantitative' }, x2: { field: 'x2' } },
            },
          ]),
      lines(r, a, rows, { yTitle: 'MB', dashes: ['RSS', 'V8 heap used'] }),
      {
        data: { values: fitted },
        mark: { type: 'line', color: '#111', strokeWidth: 1 },
        encoding: {
          x: { field: 'x', type: 'quantitative' },
          y: { field: 'value', type: 'quantitative' },
          detail: { field: 'key' },
        },
      },
      ...loadEndRule(r, a),
    ],
  };
  return frame(
    'Memory per instance',
    [
      'process_resident_memory_bytes (RSS) and nodejs_heap_size_used_bytes, from each instance\u2019s /metrics',
      'shaded: the fit window, the load\u2019s second half; thin black: the least-squares lines',
      `fitted growth, MB per 10 min: ${slopes}`,
    ],
    {
      vconcat: fit === undefined ? [overview] : [overview, sinceFitStart(r, a, fit.fitFromMs)],
      resolve: { scale: { x: 'independent', strokeDash: 'independent' }, legend: { strokeDash: 'independent' } },
    },
  );
};

/** RSS and V8's committed heap from the start of the fit window on, as the change since then: the creep, magnified. */
const sinceFitStart = (r: SoakResult, a: Axis, fromMs: number): Spec => {
  const base = new Map<string, number>();
  const change = (at: number, instance: number, series: string, bytes: number | null): Row[] => {
    if (bytes === null) return [];
    const key = `${instance} ${series}`;
    const first = base.get(key) ?? bytes;
    base.set(key, first);
    return [{ x: at / a.scale, instance: instanceName(instance), series, value: (bytes - first) / MB }];
  };
  const rows: Row[] = r.samples
    .filter((sample) => sample.at >= fromMs)
    .flatMap((sample) =>
      sample.instances.flatMap((x) => [
        ...change(sample.at, x.instance, 'RSS', x.rssBytes),
        ...change(sample.at, x.instance, 'V8 heap total', x.heapTotalBytes),
      ]),
    );
  const view = lines(r, a, rows, { yTitle: 'MB since then', dashes: ['RSS', 'V8 heap total'], fromX: fromMs / a.scale });
  return {
    width: WIDTH,
    height: 150,
    title: {
      text: 'Change since the fit window began: RSS, and V8\u2019s committed heap (nodejs_heap_size_total_bytes)',
      fontSize: 12,
      anchor: 'start',
    },
    layer: [view, ...loadEndRule(r, a)],
  };
};

const slope = (bytes: number): string =>
  Number.isFinite(bytes) ? `${bytes >= 0 ? '+' : '\u2212'}${(Math.abs(bytes) / MB).toFixed(1)}` : '-';

const eventLoopChart = (r: SoakResult, s: SoakSummary, a: Axis): Spec => {
  // The first sample's window is the start-up, not the load.
  const rows: Row[] = r.samples
    .filter((_, k) => k > 0)
    .flatMap((sample) =>
      sample.instances.flatMap((x) => [
        ...(x.lagP99S !== null
          ? [{ x: sample.at / a.scale, instance: instanceName(x.instance), series: 'p99', value: x.lagP99S * 1_000 }]
          : []),
        ...(x.lagMeanS !== null
          ? [{ x: sample.at / a.scale, instance: instanceName(x.instance), series: 'mean', value: x.lagMeanS * 1_000 }]
          : []),
      ]),
    );
  const ranges = s.instances
    .map(
      (x) =>
        `instance ${x.instance}: ${x.lagP99Ms.min.toFixed(1)}\u2013${x.lagP99Ms.max.toFixed(1)} ms (median ${x.lagP99Ms.median.toFixed(1)})`,
    )
    .join(' \u00b7 ');
  return frame(
    'Event-loop delay per instance',
    [
      `nodejs_eventloop_lag_p99_seconds and _mean_seconds; each point covers the ${r.sampleMs / 1_000} s since the sample before`,
      `prom-client samples the loop every ${IDLE_LOOP_MS} ms, so an idle loop reads about ${IDLE_LOOP_MS} ms: the delay is what lies above`,
      `p99 during the load, ${ranges}`,
    ],
    {
      width: WIDTH,
      height: HEIGHT,
      layer: [
        {
          data: { values: [{ y: IDLE_LOOP_MS, label: 'idle loop' }] },
          layer: [
            { mark: { type: 'rule', color: '#999', strokeDash: [2, 3] }, encoding: { y: { field: 'y', type: 'quantitative' } } },
            {
              mark: { type: 'text', align: 'right', baseline: 'top', dx: -4, dy: 3, color: '#777', fontSize: 10 },
              encoding: { y: { field: 'y', type: 'quantitative' }, x: { value: WIDTH }, text: { field: 'label' } },
            },
          ],
        },
        lines(r, a, rows, { yTitle: 'ms', dashes: ['p99', 'mean'] }),
        ...loadEndRule(r, a),
      ],
    },
  );
};

const outboxChart = (r: SoakResult, s: SoakSummary, a: Axis): Spec => {
  // Every instance reads the one table: the largest reading of each sample.
  const rows = r.samples.flatMap((sample) => {
    const depths = sample.instances.flatMap((x) => (x.outboxDepth === null ? [] : [x.outboxDepth]));
    return depths.length === 0 ? [] : [{ x: sample.at / a.scale, value: Math.max(...depths) }];
  });
  const top = Math.max(1, ...rows.map((row) => row.value));
  return frame(
    'Outbox depth',
    [
      'codedispatch_outbox_depth: processing events written, not yet delivered',
      `the largest of the instances\u2019 readings (one table); max ${Number.isFinite(s.outboxDepth.max) ? s.outboxDepth.max : '-'} during the load`,
    ],
    {
      width: WIDTH,
      height: 150,
      layer: [
        {
          data: { values: rows },
          mark: { type: 'line', color: '#3b6fb6', strokeWidth: 1.8, interpolate: 'step-after' },
          encoding: {
            x: xEncoding(a),
            y: {
              field: 'value',
              type: 'quantitative',
              title: 'events',
              scale: { domainMin: 0, domainMax: top },
              axis: { tickMinStep: 1, format: 'd' },
            },
          },
        },
        ...loadEndRule(r, a),
      ],
    },
  );
};

/** Requests per second the simulated clients sent, per sample interval. */
const requestRate = (r: SoakResult, a: Axis): { x: number; value: number }[] => {
  const bucketMs = r.sampleMs;
  const endMs = r.simulation.elapsedMs;
  const counts = new Array<number>(Math.max(1, Math.ceil(endMs / bucketMs))).fill(0);
  for (const q of r.simulation.requests) {
    if (q.actor === 'monitor' || q.actor === 'verifier' || q.at >= endMs) continue;
    counts[Math.floor(q.at / bucketMs)] = (counts[Math.floor(q.at / bucketMs)] ?? 0) + 1;
  }
  // Each bucket at its end, as the samples are; the last one only if whole.
  return counts.flatMap((n, i) =>
    (i + 1) * bucketMs <= endMs ? [{ x: ((i + 1) * bucketMs) / a.scale, value: n / (bucketMs / 1_000) }] : [],
  );
};

const loadChart = (r: SoakResult, a: Axis): Spec => {
  const cpu: Row[] = Array.from({ length: r.instances }, (_, i) => i + 1).flatMap((n) =>
    cpuPercents(r.samples, n).flatMap((v, k) =>
      v === null ? [] : [{ x: (r.samples[k]?.at ?? 0) / a.scale, instance: instanceName(n), series: 'CPU', value: v }],
    ),
  );
  return frame(
    'Load',
    [
      'requests per second sent by the simulated passengers, drivers and processing (all instances); CPU of each instance',
      '(process_cpu_seconds_total, % of one core) between samples',
    ],
    {
      vconcat: [
        {
          width: WIDTH,
          height: 130,
          layer: [
            {
              data: { values: requestRate(r, a) },
              mark: { type: 'line', color: '#333', strokeWidth: 1.5 },
              encoding: {
                x: { ...xEncoding(a), title: null },
                y: { field: 'value', type: 'quantitative', title: 'requests / s' },
              },
            },
            ...loadEndRule(r, a),
          ],
        },
        {
          width: WIDTH,
          height: 130,
          layer: [lines(r, a, cpu, { yTitle: 'CPU %', dashes: ['CPU'] }), ...loadEndRule(r, a)],
        },
      ],
    },
  );
};

/** The specifications of the soak's charts, by file name. */
export const soakChartSpecs = (r: SoakResult, s: SoakSummary): [string, Spec][] => {
  const a = axisOf(r);
  return [
    ['soak-memory.png', memoryChart(r, s, a)],
    ['soak-event-loop.png', eventLoopChart(r, s, a)],
    ['soak-outbox.png', outboxChart(r, s, a)],
    ['soak-load.png', loadChart(r, a)],
  ];
};

export const renderSoakCharts = async (r: SoakResult, s: SoakSummary): Promise<[string, Buffer][]> => {
  const out: [string, Buffer][] = [];
  for (const [name, spec] of soakChartSpecs(r, s)) out.push([name, await renderPng(spec)]);
  return out;
};
