import { Resvg } from '@resvg/resvg-js';
import { REQUEST_CLASSES, timeSeries, type RequestClass, type SeriesRow } from './series';
import type { SimulationResult } from './result';

/*
 * The run's charts as PNG, rendered in Node without a browser: Vega-Lite
 * specifications compiled to Vega, drawn to SVG by Vega's headless view, and
 * the SVG rasterised by resvg (a prebuilt binary in its npm package) with the
 * system's fonts. A dashed rule marks the end of the arrivals: after it, the
 * drain.
 */

type Spec = Record<string, unknown>;

/** A span of the run to shade on every chart (a fault, in the chaos run), in seconds from the start. */
export interface ChartSpan {
  readonly label: string;
  readonly startS: number;
  readonly endS: number;
}

interface Point {
  readonly t: number;
  readonly series: string;
  readonly value: number;
}

const FONT = 'DejaVu Sans';
const WIDTH = 760;
const HEIGHT = 220;

const CLASS_COLOURS: Readonly<Record<RequestClass, string>> = {
  '2xx': '#4c9a5b',
  '4xx': '#e3a33b',
  '429': '#8a5cc2',
  '5xx': '#d43d3d',
  timeout: '#333333',
  network_error: '#9a9a9a',
};

const CLASS_LABELS: Readonly<Record<RequestClass, string>> = {
  '2xx': '2xx',
  '4xx': '4xx (not 429)',
  '429': '429',
  '5xx': '5xx',
  timeout: 'timed out',
  network_error: 'connection failed',
};

const points = (rows: readonly SeriesRow[], pick: (row: SeriesRow) => readonly [string, number | null | undefined][]): Point[] =>
  rows.flatMap((row) =>
    pick(row).flatMap(([series, value]) =>
      value === null || value === undefined || !Number.isFinite(value) ? [] : [{ t: row.t, series, value }],
    ),
  );

/** A line (or stacked area) chart over time, with the end of the arrivals marked. */
const chart = (o: {
  readonly title: string;
  readonly subtitle?: string;
  readonly yTitle: string;
  readonly data: readonly Point[];
  readonly trafficEndS: number;
  readonly endS: number;
  readonly minutes: boolean;
  readonly mark?: 'line' | 'area';
  readonly colours?: { readonly domain: readonly string[]; readonly range: readonly string[] };
  readonly yFormat?: string;
  /** Whole numbers (counts): integer ticks, and an axis up to at least 1 when everything is 0. */
  readonly counts?: boolean;
  readonly spans?: readonly ChartSpan[];
}): Spec => {
  const scale = o.minutes ? 60 : 1;
  const x = {
    field: 'x',
    type: 'quantitative',
    title: o.minutes ? 'time (min)' : 'time (s)',
    scale: { domain: [0, o.endS / scale], nice: false },
  };
  const series = {
    field: 'series',
    type: 'nominal',
    title: null,
    ...(o.colours !== undefined ? { scale: { domain: o.colours.domain, range: o.colours.range }, sort: o.colours.domain } : {}),
    // One series needs no legend: the title names it.
    legend: o.colours?.domain.length === 1 ? null : { orient: 'right', labelLimit: 320 },
  };
  const data = o.data.map((p) => ({ x: p.t / scale, series: p.series, value: p.value }));
  const top = o.mark === 'area' ? stackedMax(o.data) : Math.max(0, ...o.data.map((p) => p.value));
  const y = {
    field: 'value',
    type: 'quantitative',
    title: o.yTitle,
    ...(o.mark === 'area' ? { stack: 'zero' } : {}),
    ...(o.counts === true ? { scale: { domainMin: 0, domainMax: Math.max(1, top) } } : {}),
    axis: {
      ...(o.yFormat !== undefined ? { format: o.yFormat } : {}),
      ...(o.counts === true ? { tickMinStep: 1, format: 'd' } : {}),
    },
  };
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    width: WIDTH,
    height: HEIGHT,
    padding: { left: 8, right: 12, top: 8, bottom: 8 },
    title: { text: o.title, ...(o.subtitle !== undefined ? { subtitle: o.subtitle } : {}), anchor: 'start', offset: 18 },
    config: {
      font: FONT,
      title: { fontSize: 15, subtitleFontSize: 11, subtitleColor: '#555' },
      axis: { labelFontSize: 11, titleFontSize: 12 },
      legend: { labelFontSize: 11, symbolSize: 120 },
    },
    layer: [
      // Behind the data: the shaded spans, each labelled at its top left.
      ...((o.spans ?? []).length === 0
        ? []
        : [
            {
              data: { values: (o.spans ?? []).map((p) => ({ x: p.startS / scale, x2: p.endS / scale, label: p.label })) },
              layer: [
                {
                  mark: { type: 'rect', color: '#f4c7c3', opacity: 0.45 },
                  encoding: { x: { field: 'x', type: 'quantitative' }, x2: { field: 'x2' } },
                },
                {
                  mark: { type: 'text', align: 'left', baseline: 'top', dx: 2, dy: 2, color: '#a33', fontSize: 10 },
                  encoding: { x: { field: 'x', type: 'quantitative' }, y: { value: 0 }, text: { field: 'label' } },
                },
              ],
            },
          ]),
      {
        data: { values: data },
        mark:
          o.mark === 'area'
            ? { type: 'area', interpolate: 'step-after', opacity: 0.85 }
            : { type: 'line', interpolate: 'linear', strokeWidth: 2, point: data.length < 40 },
        encoding: {
          x,
          y,
          color: series,
          ...(o.mark === 'area' && o.colours !== undefined ? { order: { field: 'order', type: 'quantitative' } } : {}),
        },
        ...(o.mark === 'area' && o.colours !== undefined
          ? { transform: [{ calculate: `indexof(${JSON.stringify(o.colours.domain)}, datum.series)`, as: 'order' }] }
          : {}),
      },
      {
        data: { values: [{ x: o.trafficEndS / scale, label: 'arrivals end' }] },
        layer: [
          { mark: { type: 'rule', strokeDash: [4, 4], color: '#777' }, encoding: { x: { field: 'x', type: 'quantitative' } } },
          // Above the plot, so that it never covers a line.
          {
            mark: { type: 'text', align: 'center', baseline: 'bottom', dy: -3, color: '#555', fontSize: 11 },
            encoding: { x: { field: 'x', type: 'quantitative' }, y: { value: 0 }, text: { field: 'label' } },
          },
        ],
      },
    ],
  };
};

/** The highest stack of a stacked chart: the largest sum of values at one time. */
const stackedMax = (data: readonly Point[]): number => {
  const sums = new Map<number, number>();
  for (const p of data) sums.set(p.t, (sums.get(p.t) ?? 0) + p.value);
  return Math.max(0, ...sums.values());
};

/** The specifications of the run's charts, by file name. */
export const chartSpecs = (r: SimulationResult, spans: readonly ChartSpan[] = []): [string, Spec][] => {
  const rows = timeSeries(r);
  const areas = r.settings.areas.map((a) => a.id);
  const trafficEndS = r.trafficMs / 1_000;
  const minutes = r.elapsedMs > 20 * 60_000;
  const common = { trafficEndS, endS: r.elapsedMs / 1_000, minutes, spans };
  const windowS = Math.max(10, (5 * r.settings.sampleMs) / 1_000);
  const present = REQUEST_CLASSES.filter((c) => rows.some((row) => row.requests[c] > 0));
  return [
    [
      'requests.png',
      chart({
        ...common,
        title: 'Requests per second by outcome',
        subtitle: 'passengers, drivers and the processing stand-in (the /metrics scrapes left out)',
        yTitle: 'requests / s',
        mark: 'area',
        data: points(rows, (row) => present.map((c) => [CLASS_LABELS[c], row.requests[c]])),
        colours: { domain: present.map((c) => CLASS_LABELS[c]), range: present.map((c) => CLASS_COLOURS[c]) },
      }),
    ],
    [
      'latency.png',
      chart({
        ...common,
        title: 'Code entry → assigned',
        subtitle: `from the driver's accepted entry to his status long-poll answering assigned; rides of the last ${windowS} s`,
        yTitle: 'ms',
        data: points(rows, (row) => [
          ['p50', row.p50Ms],
          ['p99', row.p99Ms],
        ]),
        colours: { domain: ['p50', 'p99'], range: ['#3b6fb6', '#d43d3d'] },
      }),
    ],
    [
      'code-space.png',
      chart({
        ...common,
        title: 'Code space in use per area',
        subtitle: 'codedispatch_code_space_used_ratio: codes active or cooling down, of all the area can issue',
        yTitle: 'used',
        yFormat: '.3~%',
        data: points(rows, (row) => areas.map((a) => [a, row.codeSpace[a]])),
      }),
    ],
    [
      'queues.png',
      chart({
        ...common,
        title: 'Queues per area',
        subtitle: 'passengers waiting for a car, drivers waiting for a passenger',
        yTitle: 'people',
        counts: true,
        data: points(rows, (row) =>
          areas.flatMap((a): [string, number | undefined][] => [
            [`${a}: passengers waiting`, row.waiting[a]],
            [`${a}: drivers queued`, row.driversQueued[a]],
          ]),
        ),
      }),
    ],
    [
      'outbox.png',
      chart({
        ...common,
        title: 'Outbox depth',
        subtitle: 'codedispatch_outbox_depth: processing events written and not yet delivered',
        yTitle: 'events',
        counts: true,
        data: points(rows, (row) => [['outbox depth', row.outboxDepth]]),
        colours: { domain: ['outbox depth'], range: ['#3b6fb6'] },
      }),
    ],
  ];
};

/** Every chart of the run as PNG, by file name. */
export const renderCharts = async (r: SimulationResult, spans: readonly ChartSpan[] = []): Promise<[string, Buffer][]> => {
  const out: [string, Buffer][] = [];
  for (const [name, spec] of chartSpecs(r, spans)) out.push([name, await renderPng(spec)]);
  return out;
};

/** A Vega-Lite specification as a PNG (twice the specification's size, white background). */
export const renderPng = async (spec: Spec): Promise<Buffer> => {
  // ESM-only, with a top-level await: imported, not required.
  const vega = await import('vega');
  const vegaLite = await import('vega-lite');
  const compiled = vegaLite.compile(spec as unknown as Parameters<typeof vegaLite.compile>[0]).spec;
  const view = new vega.View(vega.parse(compiled), { renderer: 'none' });
  try {
    const svg = await view.toSVG();
    return new Resvg(svg, {
      background: 'white',
      fitTo: { mode: 'zoom', value: 2 },
      font: { loadSystemFonts: true, defaultFontFamily: FONT, sansSerifFamily: FONT },
    })
      .render()
      .asPng();
  } finally {
    view.finalize();
  }
};
