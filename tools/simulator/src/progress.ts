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

/**
 * Ends a run on Ctrl-C or SIGTERM: the first signal aborts the returned
 * controller (the run stops and reports what it has), a second one quits at
 * once. `detach` removes the handlers.
 */
export const stopOnSignals = (say: (text: string) => void, stopping: string): { stop: AbortController; detach: () => void } => {
  const stop = new AbortController();
  let signals = 0;
  const onSignal = (): void => {
    signals++;
    if (signals === 1) {
      say(`\nstopping: ${stopping} (again to quit at once)…`);
      stop.abort();
    } else process.exit(130);
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  return {
    stop,
    detach: () => {
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
    },
  };
};
