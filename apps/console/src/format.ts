// Pure formatting for people who do not read JSON: percentages, durations, UTC times with their age, area states.
import type { AreaView } from './api';

/** A share (0..1) as a percentage with as many decimals as make a small share visible: 0.000578 -> "0.06 %". */
export const formatPercent = (share: number): string => {
  const percent = share * 100;
  if (percent === 0) return '0 %';
  if (percent < 0.01) return '< 0.01 %';
  if (percent < 1) return `${percent.toFixed(2)} %`;
  if (percent < 10) return `${percent.toFixed(1)} %`;
  return `${Math.round(percent)} %`;
};

/** A duration in seconds, coarse and short: "12 s", "4 min 5 s", "2 h 30 min", "3 d 4 h". */
export const formatAge = (seconds: number): string => {
  const s = Math.max(0, Math.floor(seconds));
  if (s < 60) return `${s} s`;
  const [m, rs] = [Math.floor(s / 60), s % 60];
  if (m < 60) return rs === 0 ? `${m} min` : `${m} min ${rs} s`;
  const [h, rm] = [Math.floor(m / 60), m % 60];
  if (h < 24) return rm === 0 ? `${h} h` : `${h} h ${rm} min`;
  const [d, rh] = [Math.floor(h / 24), h % 24];
  return rh === 0 ? `${d} d` : `${d} d ${rh} h`;
};

/** Milliseconds as "420 ms" or "1.9 s"; null (no sample) as an em dash. */
export const formatMs = (ms: number | null): string => {
  if (ms === null) return '—';
  return ms < 1000 ? `${Math.round(ms)} ms` : `${(ms / 1000).toFixed(1)} s`;
};

/** An ISO-8601 timestamp as "2026-12-06 10:00:00 UTC". */
export const formatUtc = (iso: string): string => {
  const date = new Date(iso);
  return Number.isNaN(date.getTime()) ? iso : `${date.toISOString().slice(0, 19).replace('T', ' ')} UTC`;
};

/** How long before `now` the timestamp is: "5 min ago", or "in 2 min" for a time to come. */
export const formatRelative = (iso: string, now: Date): string => {
  const diff = (now.getTime() - new Date(iso).getTime()) / 1000;
  if (Number.isNaN(diff)) return '';
  if (Math.abs(diff) < 1) return 'just now';
  return diff > 0 ? `${formatAge(diff)} ago` : `in ${formatAge(-diff)}`;
};

export type Level = 'ok' | 'warn' | 'alert';

/** Code-space use from which an area is amber, and red: codes get scarce and entries start colliding. */
export const CODE_SPACE_WARN = 0.5;
export const CODE_SPACE_ALERT = 0.8;
/** Share of failed code entries among all entries in the last 15 minutes from which an area is amber, and red. */
export const ERROR_SHARE_WARN = 0.2;
export const ERROR_SHARE_ALERT = 0.5;

/** Final outcomes of an order, not failures of a code entry: a cancel or an expiry says nothing about the queue. */
const NOT_ENTRY_FAILURES: ReadonlySet<string> = new Set(['order_cancelled', 'expired']);
/** Errors of an entry the service accepted (it counts among `entries`): the tracker's answers and the timeout. */
const AFTER_ENTRY: ReadonlySet<string> = new Set([
  'driver_not_found_in_tracker',
  'driver_busy',
  'driver_out_of_area',
  'processing_timeout',
]);

/**
 * Of the errors by code: the failed code entries, and those among them the
 * service refused outright (which are not among `entries`).
 */
export const entryFailures = (
  errors: Readonly<Record<string, number>>,
): { readonly failed: number; readonly refused: number } => {
  let failed = 0;
  let refused = 0;
  for (const [code, n] of Object.entries(errors)) {
    if (NOT_ENTRY_FAILURES.has(code)) continue;
    failed += n;
    if (!AFTER_ENTRY.has(code)) refused += n;
  }
  return { failed, refused };
};

const worst = (a: Level, b: Level): Level =>
  a === 'alert' || b === 'alert' ? 'alert' : a === 'warn' || b === 'warn' ? 'warn' : 'ok';

/** The area's state at a glance, with the reasons to show next to it. */
export const areaLevel = (area: AreaView): { readonly level: Level; readonly reasons: readonly string[] } => {
  const use = area.code_space.use;
  const spaceLevel: Level = use >= CODE_SPACE_ALERT ? 'alert' : use >= CODE_SPACE_WARN ? 'warn' : 'ok';
  const { failed, refused } = entryFailures(area.last_15_min.errors);
  const attempts = refused + area.last_15_min.entries;
  const share = attempts === 0 ? 0 : failed / attempts;
  const errorLevel: Level = share >= ERROR_SHARE_ALERT ? 'alert' : share >= ERROR_SHARE_WARN ? 'warn' : 'ok';
  const reasons = [
    ...(spaceLevel === 'ok' ? [] : [`code space ${formatPercent(use)} used`]),
    ...(errorLevel === 'ok' ? [] : [`${formatPercent(share)} of code entries failed`]),
  ];
  return { level: worst(spaceLevel, errorLevel), reasons };
};
