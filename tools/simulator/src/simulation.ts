import { randomBytes } from 'node:crypto';
import { setMaxListeners } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as E from 'fp-ts/Either';
import { DEFAULT_GENERATOR, decodeConfig, splitConfigDocument, type GeneratorSettings } from '@codedispatch/core';
import { AmqpStandIn } from './amqp-stand-in';
import { ServiceClient } from './client';
import { DriverTokens } from './driver-token';
import { DEFAULT_BEHAVIOUR, DEFAULT_STARTED_SERVICE, DEFAULT_TRACKER, type Behaviour, type SimulationOptions } from './options';
import { ProcessingStandIn } from './processing-stand-in';
import { seededRandom } from './random';
import type { SimulationResult, SimulationSettings } from './result';
import {
  generateCredentials,
  serviceConfigDocument,
  serviceConfigYaml,
  type Credentials,
  type SinkSettings,
} from './service-config';
import { startServices, type ManagedService } from './services';
import { runTraffic, Tally } from './traffic';
import { TrackerStandIn, type TrackerBehaviour } from './tracker-stand-in';
import { passengerRecord, verifyPassengers, type Verified } from './verify';
import { WebhookReceiver } from './webhook-receiver';

/*
 * One simulation run: the stand-ins (tracker; webhook receiver or RabbitMQ
 * consumer; processing), the service (started here, or running elsewhere),
 * then the traffic — passengers arriving in each area for the duration,
 * drivers working the queues — then a drain until every passenger has ended,
 * then every passenger's record read back, and the whole run returned as
 * data.
 */

export interface RunningSimulation {
  readonly instances: readonly string[];
  /** The instances started by the run (none for a running service). */
  readonly services: readonly ManagedService[];
  readonly tracker: TrackerStandIn;
  readonly webhookReceiver: WebhookReceiver | null;
  readonly processing: ProcessingStandIn;
  /** Ends the arrivals now and skips the drain, as the signal does. */
  stop(): void;
  readonly done: Promise<SimulationResult>;
}

export const runSimulation = async (options: SimulationOptions): Promise<SimulationResult> =>
  (await startSimulation(options)).done;

/** Sets the run up (stand-ins, service) and starts it; the result comes with `done`. */
export const startSimulation = async (options: SimulationOptions): Promise<RunningSimulation> => {
  const log = options.log ?? (() => undefined);
  const seed = options.seed ?? 1;
  const behaviour: Behaviour = { ...DEFAULT_BEHAVIOUR, ...options.behaviour };
  const trackerBehaviour: TrackerBehaviour = { ...DEFAULT_TRACKER, ...options.tracker };
  const sink = options.sink ?? { kind: 'webhook' };
  const requestTimeoutMs = options.requestTimeoutMs ?? 5_000;
  const sampleMs = options.sampleMs ?? 1_000;
  const host = options.standIns?.host ?? '127.0.0.1';
  const target = options.target;
  if (options.areas.length === 0) throw new Error('no area to simulate');
  if (sink.kind === 'mixed' && target.kind !== 'start') throw new Error('the mixed sink is for a service started here');
  const root = seededRandom(seed);
  const runTag = randomBytes(3).toString('hex');

  let t0 = performance.now();
  const now = (): number => performance.now() - t0;
  const tally = new Tally();
  const halt = new AbortController();
  const lookupsStop = new AbortController();
  // Every wait and request in flight listens to these: thousands at once is expected, not a leak.
  setMaxListeners(0, halt.signal, lookupsStop.signal);
  const cleanups: (() => Promise<void>)[] = [];
  const cleanUp = async (): Promise<void> => {
    for (const c of cleanups.reverse()) await c().catch(() => undefined);
    cleanups.length = 0;
  };

  try {
    const tracker = await TrackerStandIn.start({
      host,
      port: options.standIns?.trackerPort ?? 0,
      behaviour: trackerBehaviour,
      random: root.fork('tracker'),
    });
    cleanups.push(() => tracker.close());
    log(`tracker stand-in: ${tracker.url}/v1/acquire`);

    // The processing stand-in needs the service's URLs and a token, known only once the service is there: it is
    // handed the events through `deliver`, set below.
    let deliver: (event: Parameters<ProcessingStandIn['receive']>[0]) => void = () => undefined;
    let credentials: Credentials = target.kind === 'urls' ? target.credentials : generateCredentials();
    let webhookReceiver: WebhookReceiver | null = null;
    let webhookSink: SinkSettings | null = null;
    let amqpSink: SinkSettings | null = null;
    if (sink.kind === 'webhook' || sink.kind === 'mixed') {
      webhookReceiver = await WebhookReceiver.start({
        host,
        port: options.standIns?.webhookPort ?? 0,
        secret: credentials.webhookSecret,
        onEvent: (e) => deliver(e),
      });
      const receiver = webhookReceiver;
      cleanups.push(() => receiver.close());
      webhookSink = { kind: 'webhook', webhookUrl: webhookReceiver.url };
      log(`webhook receiver: ${webhookReceiver.url}`);
    }
    if (sink.kind === 'amqp' || sink.kind === 'mixed') {
      const given: { readonly exchange?: string; readonly queue?: string } = sink.kind === 'amqp' ? sink : {};
      // A service started here publishes to an exchange of the run's own: nobody else's events come in.
      const ownExchange = target.kind === 'start' && given.exchange === undefined;
      const exchange = given.exchange ?? (ownExchange ? `codedispatch.simulator.${runTag}` : 'codedispatch');
      const queue = given.queue ?? `codedispatch.simulator.${runTag}`;
      const consumer = await AmqpStandIn.start({
        url: sink.url,
        exchange,
        queue,
        deleteExchange: ownExchange,
        onEvent: (e) => deliver(e),
        onConnectionError: (e) => log(`RabbitMQ: ${e instanceof Error ? e.message : String(e)} (reconnecting)`),
      });
      cleanups.push(() => consumer.close());
      amqpSink = { kind: 'amqp', amqpUrl: sink.url, amqpExchange: exchange };
      log(`RabbitMQ consumer: queue ${queue} bound to exchange ${exchange}`);
    }

    let services: ManagedService[] = [];
    let generator: GeneratorSettings = target.kind === 'urls' ? (target.generator ?? DEFAULT_GENERATOR) : DEFAULT_GENERATOR;
    let orderExpireS: number | null = null;
    if (target.kind === 'start') {
      const settings = { ...DEFAULT_STARTED_SERVICE, ...target.settings };
      const configSettings = {
        areas: options.areas.map((a) => a.id),
        generator: settings.generator,
        orderExpireS: settings.orderExpireS,
        processingTimeoutS: settings.processingTimeoutS,
        codeReuseCooldownS: settings.codeReuseCooldownS,
        trackerUrl: tracker.url,
        sink: webhookSink ?? amqpSink ?? { kind: 'embedded' },
        credentials,
      };
      // Mixed: RabbitMQ for the first instance, the webhook for the second, and so on.
      const sinkOf = (i: number): SinkSettings =>
        (sink.kind === 'mixed' ? (i % 2 === 0 ? amqpSink : webhookSink) : null) ?? configSettings.sink;
      const decoded = decodeConfig(splitConfigDocument(serviceConfigDocument(configSettings)).domain);
      if (E.isRight(decoded)) generator = decoded.right.generator;
      orderExpireS = settings.orderExpireS;
      const workDir = options.workDir ?? mkdtempSync(join(tmpdir(), 'codedispatch-simulation-'));
      if (options.workDir === undefined) cleanups.push(async () => rmSync(workDir, { recursive: true, force: true }));
      const instances = target.instances ?? 1;
      log(
        `starting ${instances} service instance${instances === 1 ? '' : 's'} on ${target.databaseUrl === undefined ? `PGlite in ${workDir}` : 'PostgreSQL'}…`,
      );
      services = await startServices({
        workDir,
        configYaml: (i) => serviceConfigYaml({ ...configSettings, sink: sinkOf(i) }),
        instances,
        ...(target.databaseUrl !== undefined ? { databaseUrl: target.databaseUrl } : {}),
        ...(target.nodeArgs !== undefined ? { nodeArgs: target.nodeArgs } : {}),
        ...(target.env !== undefined ? { env: target.env } : {}),
      });
      cleanups.push(async () => void (await Promise.allSettled(services.map((s) => s.stop()))));
      log(`service ready: ${services.map((s) => s.url).join(', ')}`);
    } else {
      credentials = target.credentials;
      for (const url of target.urls) {
        const ready = await fetch(`${url.replace(/\/+$/, '')}/ready`, { signal: AbortSignal.timeout(requestTimeoutMs) })
          .then(async (r) => (await r.body?.cancel(), r.ok))
          .catch(() => false);
        if (!ready) throw new Error(`${url}/ready does not answer 200: is the service running there?`);
      }
    }
    const urls = target.kind === 'start' ? services.map((s) => s.url) : target.urls.map((u) => u.replace(/\/+$/, ''));

    const client = new ServiceClient({ urls, signal: halt.signal, now, record: tally.record });
    const lookupClient = new ServiceClient({ urls, signal: lookupsStop.signal, now, record: tally.record });
    const processing = new ProcessingStandIn({
      client: lookupClient,
      token: credentials.processingToken,
      now,
      timeoutMs: requestTimeoutMs,
      giveUpMs: 120_000,
      signal: lookupsStop.signal,
    });
    deliver = (e) => processing.receive(e);

    const stopEarly = new AbortController();
    const onSignal = (): void => stopEarly.abort();
    if (options.signal?.aborted) stopEarly.abort();
    options.signal?.addEventListener('abort', onSignal, { once: true });
    cleanups.push(async () => options.signal?.removeEventListener('abort', onSignal));
    stopEarly.signal.addEventListener('abort', () => halt.abort(), { once: true });

    const settings: SimulationSettings = {
      seed,
      areas: options.areas,
      durationMs: options.durationMs,
      behaviour,
      tracker: trackerBehaviour,
      sink: sink.kind,
      instances: urls,
      startedHere: target.kind === 'start',
      storage: target.kind === 'urls' ? 'external' : target.databaseUrl === undefined ? 'pglite' : 'postgres',
      generator,
      requestTimeoutMs,
      sampleMs,
      orderExpireS,
    };
    const drainMs = options.drainMs ?? Math.max(60_000, (orderExpireS ?? 60) * 1_000 + 15_000);

    const done = (async (): Promise<SimulationResult> => {
      try {
        t0 = performance.now();
        const startedAt = new Date().toISOString();
        const traffic = runTraffic({
          options,
          settings,
          world: {
            client,
            credentials,
            tokens: new DriverTokens(credentials.jwtSecret),
            tracker,
            behaviour,
            generator,
            requestTimeoutMs,
            now,
            stop: halt.signal,
          },
          root,
          runTag,
          tally,
          processing,
          drainMs,
          stopEarly: stopEarly.signal,
          haltNow: () => halt.abort(),
        });
        const outcome = await traffic;
        // The lookups of the last events, then nothing more is sent.
        await processing.idle(5_000);
        lookupsStop.abort();
        const finals =
          options.verify === false
            ? new Map<string, Verified>()
            : await verifyPassengers(urls, credentials, outcome.passengers, now, tally.record);
        return {
          startedAt,
          settings,
          trafficMs: outcome.trafficMs,
          elapsedMs: outcome.elapsedMs,
          stoppedBy: stopEarly.signal.aborted ? 'signal' : 'duration',
          drained: outcome.drained,
          requests: tally.requests,
          entries: tally.entries,
          events: processing.events(),
          passengers: outcome.passengers.map((p) => passengerRecord(p, finals.get(p.orderId))),
          samples: tally.samples,
          tracker: tracker.stats(),
          webhook: webhookReceiver?.stats() ?? null,
          processing: processing.stats(),
        };
      } finally {
        halt.abort();
        lookupsStop.abort();
        await cleanUp();
      }
    })();
    return {
      instances: urls,
      services,
      tracker,
      webhookReceiver,
      processing,
      stop: () => stopEarly.abort(),
      done,
    };
  } catch (e) {
    await cleanUp();
    throw e;
  }
};
