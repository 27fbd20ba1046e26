/**
 * A short run against a service the simulation starts itself (from its
 * sources, on PGlite): real passengers, drivers, events and lookups through
 * the public API, and what the run must find when the service is healthy.
 */
import { join } from 'node:path';
import { summarise } from './report';
import { ROOT } from './service-process';
import { startSimulation } from './simulation';

jest.setTimeout(60_000);

it('runs passengers and drivers through a started service: rides assigned, events received, no 5xx', async () => {
  const running = await startSimulation({
    target: {
      kind: 'start',
      nodeArgs: ['--import', 'tsx', join(ROOT, 'apps/http/src/main.ts')],
      env: { TSX_TSCONFIG_PATH: join(ROOT, 'tsconfig.jest.json') },
    },
    areas: [
      { id: 'svo_d', ratePerHour: 7_200, drivers: 6 },
      { id: 'zenit', ratePerHour: 3_600, drivers: 4 },
    ],
    durationMs: 5_000,
    seed: 7,
    behaviour: {
      walkS: 0.3,
      typingMs: 100,
      tripS: 1,
      waitMs: 2_000,
      typoRate: 0.2,
      swapRate: 0.1,
      wrongCodeRate: 0.1,
      cancelRate: 0.15,
      cancelWithinS: 1.5,
    },
    tracker: { refusalRate: 0.1, unavailableRate: 0.05, latencyMs: 5 },
    drainMs: 20_000,
  });
  // The processing side is down for the first second: the relay has to deliver those events again.
  running.webhookReceiver?.failFor(1_000);
  const result = await running.done;
  const summary = summarise(result);

  expect(result.drained).toBe(true);
  expect(result.passengers.length).toBeGreaterThan(5);
  for (const p of result.passengers) expect(['assigned', 'cancelled', 'expired']).toContain(p.finalOutcome);
  expect(summary.all.outcomes.assigned).toBeGreaterThan(2);

  // Every ride went through an event the processing stand-in received and looked up.
  const looked = new Set(result.events.filter((e) => e.lookup === 'assigned').map((e) => e.orderId));
  for (const p of result.passengers.filter((q) => q.finalOutcome === 'assigned')) expect(looked).toContain(p.orderId);
  expect(result.webhook?.badSignature).toBe(0);

  // Healthy service: no 5xx but documented 503s, every request answered within its deadline.
  expect(summary.undocumented5xx).toBe(0);
  expect(summary.pastDeadline).toBe(0);
  expect(result.requests.filter((r) => r.outcome === 'timeout' || r.outcome === 'network_error')).toEqual([]);
  expect(new Set(result.requests.map((r) => r.instance))).toEqual(new Set(result.settings.instances));

  // Every typo or swap was refused by the check character (damm).
  expect(summary.entries.typos + summary.entries.swaps).toBeGreaterThan(0);
  expect(summary.entries.caughtByCheck).toBe(summary.entries.typos + summary.entries.swaps);
  expect(summary.entries.wrongCodesNotFound).toBe(summary.entries.wrongCodes);
});
