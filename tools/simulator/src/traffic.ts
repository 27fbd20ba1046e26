import { Driver, Passenger, type World } from './actors';
import { nextArrivalGapMs } from './arrivals';
import type { ServiceClient } from './client';
import { parseGauges } from './metrics';
import type { Progress, SimulationOptions } from './options';
import type { ProcessingStandIn } from './processing-stand-in';
import { TaxiQueue } from './queues';
import type { Random } from './random';
import type { EntryRecord, RequestRecord, Sample } from './records';
import type { SimulationSettings } from './result';
import { percentile } from './stats';
import { sleep } from './time';

/*
 * The traffic of a run: the drivers of every area join their queue, the
 * passengers arrive (a Poisson process per area) for the duration, then the
 * drain lasts until every passenger has ended and the outbox is empty, or its time is up. Meanwhile
 * the queues and the service's gauges are sampled, and the progress told.
 */

/** What the run holds while it goes. */
export class Tally {
  readonly requests: RequestRecord[] = [];
  readonly entries: EntryRecord[] = [];
  readonly samples: Sample[] = [];
  tooManyAttempts = 0;
  serverErrors = 0;
  timeouts = 0;
  readonly rideMs: number[] = [];

  record = (r: RequestRecord): void => {
    this.requests.push(r);
    if (r.errorCode === 'too_many_attempts') this.tooManyAttempts++;
    if (r.status !== null && r.status >= 500) this.serverErrors++;
    if (r.outcome === 'timeout') this.timeouts++;
  };
}

export interface TrafficInput {
  readonly options: SimulationOptions;
  readonly settings: SimulationSettings;
  readonly world: Omit<World, 'recordEntry' | 'isActiveCode' | 'onCode' | 'onSettled'>;
  readonly root: Random;
  readonly runTag: string;
  readonly tally: Tally;
  readonly processing: ProcessingStandIn;
  readonly drainMs: number;
  readonly stopEarly: AbortSignal;
  /** Aborts `world.stop`: every request in flight and every wait ends. */
  readonly haltNow: () => void;
}

export interface TrafficOutcome {
  readonly passengers: readonly Passenger[];
  readonly trafficMs: number;
  readonly elapsedMs: number;
  readonly drained: boolean;
}

/** The passengers and drivers of every area, from the first arrival until all have ended (or the run is stopped). */
export const runTraffic = async (input: TrafficInput): Promise<TrafficOutcome> => {
  const { options, settings, root, runTag, tally, processing, stopEarly } = input;
  const halt = input.world.stop;
  const now = input.world.now;
  const passengers: Passenger[] = [];
  let settled = 0;
  let arrivalsOver = false;
  let wakeDrain: () => void = () => undefined;
  const activeCodes = new Map<string, Set<string>>(options.areas.map((a) => [a.id, new Set<string>()]));
  const world: World = {
    ...input.world,
    recordEntry: (e) => tally.entries.push(e),
    isActiveCode: (area, code) => activeCodes.get(area)?.has(code) ?? false,
    onCode: (p, active) => {
      const codes = activeCodes.get(p.areaId);
      if (p.code === null || codes === undefined) return;
      if (active) codes.add(p.code);
      else codes.delete(p.code);
    },
    onSettled: (p) => {
      if (p.entryToAssignedMs !== null) tally.rideMs.push(p.entryToAssignedMs);
      settled++;
      if (arrivalsOver && settled === passengers.length) wakeDrain();
    },
  };
  const queues = new Map(options.areas.map((a) => [a.id, new TaxiQueue<Passenger>()]));
  const loops: Promise<void>[] = [];
  for (const area of options.areas) {
    const queue = queues.get(area.id) as TaxiQueue<Passenger>;
    for (let i = 1; i <= area.drivers; i++) {
      const driver = new Driver(
        'sim-park',
        `${area.id}-d${i}-${runTag}`,
        area.id,
        root.fork(`driver:${area.id}:${i}`),
        world,
        queue,
      );
      loops.push(driver.run());
    }
  }
  let scrapeTurn = 0;
  /** The gauges of the first instance that answers, taking the instances in turn. */
  const scrape = async (client: ServiceClient, instances: readonly string[]) => {
    for (let i = 0; i < instances.length; i++) {
      const instance = instances[scrapeTurn++ % instances.length] as string;
      const text = await client.text(instance, '/metrics', 'monitor', 2_000);
      if (text !== null) return parseGauges(text);
    }
    return null;
  };
  const sample = async (): Promise<void> => {
    const at = now();
    const waiting: Record<string, number> = {};
    const driversQueued: Record<string, number> = {};
    for (const [area, q] of queues) {
      waiting[area] = q.waiting;
      driversQueued[area] = q.queued;
    }
    const gauges = await scrape(input.world.client, settings.instances);
    tally.samples.push({
      at,
      waiting,
      driversQueued,
      codeSpace: gauges?.codeSpace ?? {},
      outboxDepth: gauges?.outboxDepth ?? null,
    });
  };
  const progressNow = (): Progress => {
    const sorted = Float64Array.from(tally.rideMs).sort();
    let waiting = 0;
    for (const q of queues.values()) waiting += q.waiting;
    return {
      at: now(),
      phase: arrivalsOver ? 'drain' : 'traffic',
      durationMs: settings.durationMs,
      arrived: passengers.length,
      waiting,
      rides: tally.rideMs.length,
      requests: tally.requests.length,
      tooManyAttempts: tally.tooManyAttempts,
      serverErrors: tally.serverErrors,
      timeouts: tally.timeouts,
      events: processing.stats().events,
      p50Ms: percentile(sorted, 0.5),
      p99Ms: percentile(sorted, 0.99),
    };
  };
  const sampler = setInterval(() => void sample(), settings.sampleMs);
  const progress = setInterval(() => options.onProgress?.(progressNow()), 1_000);
  await Promise.all(
    options.areas.map(async (area) => {
      const arrivals = root.fork(`arrivals:${area.id}`);
      const queue = queues.get(area.id) as TaxiQueue<Passenger>;
      let n = 0;
      for (
        let t = nextArrivalGapMs(arrivals, area.ratePerHour);
        t < settings.durationMs;
        t += nextArrivalGapMs(arrivals, area.ratePerHour)
      ) {
        if (!(await sleep(t - now(), halt))) return;
        n++;
        const p = new Passenger(
          `sim-${runTag}-${area.id}-${n}`,
          area.id,
          now(),
          root.fork(`passenger:${area.id}:${n}`),
          world,
          queue,
        );
        passengers.push(p);
        void p.run();
      }
      await sleep(settings.durationMs - now(), halt);
    }),
  );
  const trafficMs = Math.min(now(), settings.durationMs);
  arrivalsOver = true;
  const drainEnds = now() + input.drainMs;
  let drained = settled === passengers.length;
  if (!drained && !stopEarly.aborted) {
    drained = await new Promise<boolean>((resolve) => {
      wakeDrain = () => resolve(true);
      void sleep(input.drainMs, halt).then(() => resolve(settled === passengers.length));
    });
  }
  // The events still in the outbox go out before the stand-ins close, within the drain's time.
  while (drained && !stopEarly.aborted && now() < drainEnds) {
    const depth = (await scrape(input.world.client, settings.instances))?.outboxDepth ?? 0;
    if (depth === 0 || !(await sleep(1_000, halt))) break;
  }
  const elapsedMs = now();
  clearInterval(sampler);
  clearInterval(progress);
  await sample();
  options.onProgress?.(progressNow());
  // Stop whoever is still at it: drivers in the queue, passengers still waiting at the drain's end.
  for (const q of queues.values()) q.close();
  input.haltNow();
  await Promise.allSettled(loops);
  for (const p of passengers) if (p.state !== 'done') p.finish('unfinished');
  return { passengers, trafficMs, elapsedMs, drained };
};
