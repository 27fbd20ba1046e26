import type { Progress } from './options';

/** The live progress line of a run: where it is, passengers, rides, latency, errors, events. */
export const progressLine = (p: Progress): string => {
  const ms = (v: number) => (Number.isFinite(v) ? `${v.toFixed(0)} ms` : '-');
  const clock =
    p.phase === 'traffic'
      ? `${(p.at / 1000).toFixed(0).padStart(4)}/${(p.durationMs / 1000).toFixed(0)} s`
      : `drain ${((p.at - p.durationMs) / 1000).toFixed(0)} s`;
  return (
    `[${clock}] passengers ${p.arrived} (waiting ${p.waiting}) · rides ${p.rides} · entry→assigned p50 ${ms(p.p50Ms)} p99 ${ms(p.p99Ms)}` +
    ` · requests ${p.requests} · 429 ${p.tooManyAttempts} · 5xx ${p.serverErrors} · timeouts ${p.timeouts} · events ${p.events}`
  );
};
