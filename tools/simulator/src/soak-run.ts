import { randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { openDatabase } from '@codedispatch/postgres';
import type { AreaLoad, Behaviour, Progress } from './options';
import type { SimulationResult } from './result';
import { startSimulation } from './simulation';
import { NO_READING, parseProcessMetrics, vmRssBytes, type ProcessReading } from './soak-metrics';
import { sleep } from './time';

/*
 * A soak: the service started here (instances on a scratch PostgreSQL
 * database, or one on PGlite), a steady simulated load for the duration, and
 * every few seconds each instance's process figures read from its
 * `/metrics` and `/proc`. The simulator's own scrape of `/metrics` is turned
 * off, as every scrape resets the event-loop delay histogram: the soak's
 * samples are then each a whole interval's.
 */

export type SoakStorage =
  /** A scratch database created on this server (the URL's database is only connected to) and dropped after. */
  { readonly kind: 'postgres'; readonly serverUrl: string } | { readonly kind: 'pglite' };

export interface SoakOptions {
  readonly storage: SoakStorage;
  readonly instances: number;
  readonly areas: readonly AreaLoad[];
  readonly durationMs: number;
  readonly sampleMs: number;
  readonly seed?: number;
  readonly behaviour?: Partial<Behaviour>;
  /** How to run the service (default the built main, as the simulator runs it). */
  readonly nodeArgs?: readonly string[];
  readonly env?: Readonly<Record<string, string>>;
  /** Ends the load early; the samples so far are judged. */
  readonly signal?: AbortSignal;
  readonly onSample?: (sample: SoakSample) => void;
  readonly onProgress?: (progress: Progress) => void;
  readonly log?: (line: string) => void;
}

export interface InstanceSample extends ProcessReading {
  /** 1, 2, …, in the order the instances were started. */
  readonly instance: number;
  /** `VmRSS` of `/proc/<pid>/status`; null where there is no /proc. */
  readonly vmRssBytes: number | null;
  /** How long `/metrics` took to answer; null when it did not. */
  readonly scrapeMs: number | null;
}

export interface SoakSample {
  /** Ms from the start of the load. */
  readonly at: number;
  readonly instances: readonly InstanceSample[];
}

export interface SoakResult {
  readonly instances: number;
  readonly storage: 'postgres' | 'pglite';
  readonly areas: readonly AreaLoad[];
  readonly durationMs: number;
  readonly sampleMs: number;
  /** How long the load ran (less than the duration when stopped). */
  readonly loadMs: number;
  readonly samples: readonly SoakSample[];
  readonly simulation: SimulationResult;
}

const SCRAPE_TIMEOUT_MS = 2_000;

/** A fresh database `cd_soak_<random>` on the server of `serverUrl`: its URL, and how to drop it. */
export const createScratchDatabase = async (serverUrl: string): Promise<{ readonly url: string; drop(): Promise<void> }> => {
  const name = `cd_soak_${randomBytes(6).toString('hex')}`;
  const admin = async (statement: string): Promise<void> => {
    // Plain statements on one connection of the server's own database: nothing to prepare.
    const handle = await openDatabase({ databaseUrl: serverUrl, poolSize: 1, preparedStatements: false });
    try {
      const client = await handle.connect();
      try {
        await client.query(statement);
      } finally {
        client.release();
      }
    } finally {
      await handle.close();
    }
  };
  await admin(`create database ${name}`);
  const url = new URL(serverUrl);
  url.pathname = `/${name}`;
  return { url: url.toString(), drop: () => admin(`drop database if exists ${name} with (force)`) };
};

/** One instance's figures now; the fields it could not read are null. */
export const sampleInstance = async (instance: number, url: string, pid: number | null): Promise<InstanceSample> => {
  const started = performance.now();
  const [metrics, status] = await Promise.all([
    fetch(`${url}/metrics`, { signal: AbortSignal.timeout(SCRAPE_TIMEOUT_MS) })
      .then(async (r) => (r.ok ? r.text() : (await r.body?.cancel(), null)))
      .catch(() => null),
    pid === null ? null : readFile(`/proc/${pid}/status`, 'utf8').catch(() => null),
  ]);
  return {
    instance,
    ...(metrics === null ? NO_READING : parseProcessMetrics(metrics)),
    vmRssBytes: status === null ? null : vmRssBytes(status),
    scrapeMs: metrics === null ? null : performance.now() - started,
  };
};

/** Runs the soak to its end (or its signal), the service stopped and the scratch database dropped. */
export const runSoak = async (o: SoakOptions): Promise<SoakResult> => {
  const log = o.log ?? (() => undefined);
  if (o.storage.kind === 'pglite' && o.instances !== 1) throw new Error('PGlite serves one instance');
  const scratch = o.storage.kind === 'postgres' ? await createScratchDatabase(o.storage.serverUrl) : null;
  if (scratch !== null) log(`scratch database ${new URL(scratch.url).pathname.slice(1)} created`);
  try {
    const running = await startSimulation({
      target: {
        kind: 'start',
        instances: o.instances,
        ...(scratch !== null ? { databaseUrl: scratch.url } : {}),
        ...(o.nodeArgs !== undefined ? { nodeArgs: o.nodeArgs } : {}),
        ...(o.env !== undefined ? { env: o.env } : {}),
      },
      areas: o.areas,
      durationMs: o.durationMs,
      seed: o.seed ?? 1,
      ...(o.behaviour !== undefined ? { behaviour: o.behaviour } : {}),
      sink: { kind: 'webhook' },
      // Once, at the very end: a scrape of its own would cut the soak's event-loop windows short.
      sampleMs: 2 ** 31 - 1,
      ...(o.signal !== undefined ? { signal: o.signal } : {}),
      ...(o.onProgress !== undefined ? { onProgress: o.onProgress } : {}),
      log,
    });
    // The simulation's clock starts now too (within a millisecond).
    const t0 = performance.now();
    const targets = running.services.map((s, i) => ({ instance: i + 1, url: s.url, pid: s.process?.pid ?? null }));
    const samples: SoakSample[] = [];
    let finished = false;
    const stopSampling = new AbortController();
    const sampler = (async () => {
      for (let k = 0; !finished; k++) {
        if (!(await sleep(t0 + k * o.sampleMs - performance.now(), stopSampling.signal))) return;
        const at = performance.now() - t0;
        const instances = await Promise.all(targets.map((t) => sampleInstance(t.instance, t.url, t.pid)));
        // The run ended meanwhile: the instances were shutting down.
        if (finished) return;
        const sample = { at, instances };
        samples.push(sample);
        o.onSample?.(sample);
      }
    })();
    try {
      const simulation = await running.done;
      return {
        instances: o.instances,
        storage: o.storage.kind,
        areas: o.areas,
        durationMs: o.durationMs,
        sampleMs: o.sampleMs,
        loadMs: simulation.trafficMs,
        samples,
        simulation,
      };
    } finally {
      finished = true;
      stopSampling.abort();
      await sampler;
    }
  } finally {
    await scratch?.drop().catch((e: unknown) => log(`could not drop the scratch database: ${String(e)}`));
  }
};
