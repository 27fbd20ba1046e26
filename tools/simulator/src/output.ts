import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { renderCharts, type ChartSpan } from './charts';
import { formatReport, summarise } from './report';
import { REQUEST_CLASSES, timeSeries } from './series';
import type { SimulationResult } from './result';

/*
 * The run's files: the report as text and JSON, the time series and the
 * records as CSV, and the charts as PNG.
 */

const cell = (v: unknown): string => {
  if (v === null || v === undefined || (typeof v === 'number' && !Number.isFinite(v))) return '';
  const s = typeof v === 'number' ? String(Math.round(v * 1000) / 1000) : String(v);
  return /[",\n\r]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
};

/** CSV text (RFC 4180): a header and one line per row. */
export const toCsv = (header: readonly string[], rows: readonly (readonly unknown[])[]): string =>
  [header.join(','), ...rows.map((r) => r.map(cell).join(','))].join('\n') + '\n';

export const timeSeriesCsv = (r: SimulationResult): string => {
  const areas = r.settings.areas.map((a) => a.id);
  const rows = timeSeries(r);
  return toCsv(
    [
      't_s',
      ...REQUEST_CLASSES.map((c) => `requests_${c}_per_s`),
      'rides',
      'entry_to_assigned_p50_ms',
      'entry_to_assigned_p99_ms',
      'outbox_depth',
      ...areas.flatMap((a) => [`waiting_${a}`, `drivers_queued_${a}`, `code_space_used_pct_${a}`]),
    ],
    rows.map((row) => [
      row.t,
      ...REQUEST_CLASSES.map((c) => row.requests[c]),
      row.rides,
      row.p50Ms,
      row.p99Ms,
      row.outboxDepth,
      ...areas.flatMap((a) => [
        row.waiting[a],
        row.driversQueued[a],
        row.codeSpace[a] === undefined ? null : (row.codeSpace[a] as number) * 100,
      ]),
    ]),
  );
};

export interface WrittenReport {
  readonly dir: string;
  readonly files: readonly string[];
  readonly text: string;
}

/** Writes every file of the run into `dir` (created if needed). */
export const writeReport = async (
  r: SimulationResult,
  dir: string,
  o: { readonly charts?: boolean; readonly spans?: readonly ChartSpan[] } = {},
): Promise<WrittenReport> => {
  mkdirSync(dir, { recursive: true });
  const summary = summarise(r);
  const text = formatReport(r, summary);
  const files: string[] = [];
  const write = (name: string, content: string | Buffer): void => {
    writeFileSync(join(dir, name), content);
    files.push(join(dir, name));
  };
  write('report.txt', text);
  write(
    'summary.json',
    `${JSON.stringify({ startedAt: r.startedAt, settings: r.settings, summary, tracker: r.tracker, webhook: r.webhook, processing: r.processing }, null, 2)}\n`,
  );
  write('timeseries.csv', timeSeriesCsv(r));
  write(
    'requests.csv',
    toCsv(
      [
        'at_ms',
        'actor',
        'method',
        'route',
        'instance',
        'outcome',
        'status',
        'error_code',
        'latency_ms',
        'deadline_ms',
        'order_id',
      ],
      r.requests.map((q) => [
        q.at,
        q.actor,
        q.method,
        q.route,
        q.instance,
        q.outcome,
        q.status,
        q.errorCode,
        q.latencyMs,
        q.deadlineMs,
        q.orderId,
      ]),
    ),
  );
  write(
    'passengers.csv',
    toCsv(
      [
        'order_id',
        'area_id',
        'arrived_at_ms',
        'code',
        'cancel_at_ms',
        'client_outcome',
        'final_outcome',
        'final_status',
        'driver_id',
        'entries',
        'assigned_at_ms',
        'entry_to_assigned_ms',
      ],
      r.passengers.map((p) => [
        p.orderId,
        p.areaId,
        p.arrivedAt,
        p.code,
        p.cancelAt,
        p.clientOutcome,
        p.finalOutcome,
        p.finalStatus,
        p.driverId,
        p.entries,
        p.assignedAt,
        p.entryToAssignedMs,
      ]),
    ),
  );
  write(
    'entries.csv',
    toCsv(
      ['at_ms', 'area_id', 'order_id', 'driver_id', 'entry', 'answer'],
      r.entries.map((e) => [e.at, e.areaId, e.orderId, e.driverId, e.entry, e.answer]),
    ),
  );
  write(
    'events.csv',
    toCsv(
      [
        'event_id',
        'order_id',
        'area_id',
        'attempt',
        'park_db_id',
        'driver_id',
        'deliveries',
        'first_at_ms',
        'last_at_ms',
        'lookup',
      ],
      r.events.map((e) => [
        e.eventId,
        e.orderId,
        e.areaId,
        e.attempt,
        e.parkDbId,
        e.driverId,
        e.deliveries,
        e.firstAt,
        e.lastAt,
        e.lookup,
      ]),
    ),
  );
  if (o.charts !== false) for (const [name, png] of await renderCharts(r, o.spans)) write(name, png);
  return { dir, files, text };
};
