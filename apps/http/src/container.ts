import 'reflect-metadata';
import * as E from 'fp-ts/Either';
import { Container, type ResolutionContext } from 'inversify';
import { OpenFeature, type Client } from '@openfeature/server-sdk';
import {
  AREA_DEFAULTS,
  areaId,
  codeSpaceSize,
  SystemClock,
  WebCryptoCodeRandom,
  type Assignment,
  type AssignmentRepository,
  type Clock,
  type UseCases,
  type CodeRandom,
  type DomainError,
  type DriverTracker,
  type Experiments,
  type OrderId,
} from '@codedispatch/core';
import { createUseCases } from '@codedispatch/core/adapter';
import { InMemoryAssignmentRepository, InMemoryDriverTracker } from '@codedispatch/core/testing';
import { ChangeNotifier, KyselyAssignmentRepository, type DatabaseHandle } from '@codedispatch/postgres';
import {
  OutboxRelay,
  Worker,
  sinkFromSettings,
  type ClosableEventSink,
  type EmbeddedHandler,
  type EventSink,
} from '@codedispatch/processing-queue';
import { HttpDriverTracker } from '@codedispatch/tracker-http';
import { MeteredAssignmentRepository } from './adapters/metered-assignment-repository';
import { ConfiguredExperiments } from './adapters/configured-experiments';
import { LocalAndRemoteAnnouncer, LocalChanges, MergedChangeFeed, type ChangeFeed } from './changes/change-feed';
import { Authenticator } from './http/auth';
import { LongPoll } from './http/long-poll';
import type { AppDeps } from './http/routes/deps';
import { errorFields, type Logger } from './observability/logger';
import { Metrics } from './observability/metrics';
import { Background } from './runtime/background';
import { TOKENS } from './tokens';
import type { ServiceConfigSource } from './config/service-config';

/*
 * The composition root: the only place that chooses adapters, from the
 * configuration (tracker: memory | http; sink: embedded | webhook | amqp;
 * experiments: the config's rules, narrowed by an OpenFeature flag when
 * `experiment.provider` names one or a provider is registered) and from the storage given (a database handle, or memory).
 * Core classes are built by factories; nothing in the core is decorated.
 */

export interface ContainerOptions {
  readonly config: ServiceConfigSource;
  readonly logger: Logger;
  readonly metrics?: Metrics;
  /** PostgreSQL or PGlite, opened and migrated; absent → the in-memory repository (no outbox relay). */
  readonly database?: DatabaseHandle;
  /** Replaces the configured tracker (tests script one). */
  readonly tracker?: DriverTracker;
  /** Replaces the configured sink (tests). */
  readonly sink?: ClosableEventSink;
  /** Replaces the storage adapter (tests). */
  readonly repository?: AssignmentRepository;
  readonly clock?: Clock;
  readonly random?: CodeRandom;
  /** An OpenFeature client for the `code_dispatch` flag; by default one is used when a provider is registered globally. */
  readonly openFeatureClient?: Client;
  /** The background sweep's period. */
  readonly sweepIntervalMs?: number;
  /** Outbox relay tuning (tests poll faster). */
  readonly relayPollIntervalMs?: number;
}

/** The embedded sink: processing's lookup, run in-process as the service `embedded`. */
const embeddedLookup =
  (dispatch: UseCases, logger: Logger): EmbeddedHandler =>
  async (event) => {
    const result = await dispatch.lookupDriver.execute({ orderId: event.order_id as OrderId, service: 'embedded' })();
    if (E.isRight(result)) return;
    // Nothing left to do for this event: the assignment moved on (or is gone).
    if (result.left.code === 'assignment_not_processing' || result.left.code === 'assignment_not_found') return;
    logger.warn('embedded lookup will be retried', {
      order_id: event.order_id,
      event_id: event.event_id,
      code: result.left.code,
    });
    throw new Error(`lookup failed: ${result.left.code}`);
  };

/** A failed sweep as log fields: a domain error's code (and a storage failure's cause), or the exception. */
const sweepFailure = (error: unknown): Record<string, unknown> => {
  const domain = error as Partial<DomainError> | null;
  if (typeof domain?.code !== 'string') return errorFields(error);
  return {
    code: domain.code,
    ...(domain.code === 'storage_unavailable' ? errorFields((domain as { cause?: unknown }).cause) : {}),
  };
};

/** A provider other than the SDK's no-op one was registered programmatically. */
const openFeatureProviderRegistered = (): boolean => OpenFeature.providerMetadata.name !== 'No-op Provider';

export const buildContainer = (options: ContainerOptions): Container => {
  const c = new Container({ defaultScope: 'Singleton' });
  const get = <T>(ctx: ResolutionContext, token: symbol): T => ctx.get<T>(token);
  const { database } = options;

  c.bind<ServiceConfigSource>(TOKENS.Config).toConstantValue(options.config);
  c.bind<Logger>(TOKENS.Logger).toConstantValue(options.logger);
  c.bind<Metrics>(TOKENS.Metrics).toConstantValue(options.metrics ?? new Metrics());
  c.bind<Clock>(TOKENS.Clock).toConstantValue(options.clock ?? new SystemClock());
  c.bind<CodeRandom>(TOKENS.CodeRandom).toConstantValue(options.random ?? new WebCryptoCodeRandom());
  c.bind<LocalChanges>(TOKENS.LocalChanges).toConstantValue(new LocalChanges());

  // ---------------------------------------------------------------- storage
  c.bind<AssignmentRepository>(TOKENS.StorageRepository).toDynamicValue(
    () =>
      options.repository ??
      (database !== undefined ? new KyselyAssignmentRepository(database.db) : new InMemoryAssignmentRepository()),
  );
  c.bind<AssignmentRepository>(TOKENS.AssignmentRepository).toDynamicValue(
    (ctx) =>
      new MeteredAssignmentRepository(
        get<AssignmentRepository>(ctx, TOKENS.StorageRepository),
        get<Metrics>(ctx, TOKENS.Metrics).meterTransition,
        new LocalAndRemoteAnnouncer(
          get<LocalChanges>(ctx, TOKENS.LocalChanges),
          database === undefined ? undefined : get<ChangeNotifier>(ctx, TOKENS.ChangeNotifier),
        ),
      ),
  );

  // ----------------------------------------------------- tracker, experiments
  c.bind<DriverTracker>(TOKENS.DriverTracker).toDynamicValue((ctx) => {
    if (options.tracker !== undefined) return options.tracker;
    const settings = get<ServiceConfigSource>(ctx, TOKENS.Config).current().tracker;
    switch (settings.kind) {
      case 'memory':
        return new InMemoryDriverTracker();
      case 'http':
        return new HttpDriverTracker({
          url: settings.url,
          timeoutMs: settings.timeoutMs,
          onOutcome: get<Metrics>(ctx, TOKENS.Metrics).meterTracker,
        });
      default: {
        const never: never = settings;
        throw new Error(`unknown tracker ${JSON.stringify(never)}`);
      }
    }
  });
  c.bind<Experiments>(TOKENS.Experiments).toDynamicValue((ctx) => {
    const client =
      options.openFeatureClient ?? (openFeatureProviderRegistered() ? OpenFeature.getClient('codedispatch') : undefined);
    return new ConfiguredExperiments(get<ServiceConfigSource>(ctx, TOKENS.Config), client);
  });

  // ----------------------------------------------------------------- core
  c.bind<UseCases>(TOKENS.UseCases).toDynamicValue((ctx) =>
    createUseCases({
      repository: get(ctx, TOKENS.AssignmentRepository),
      tracker: get(ctx, TOKENS.DriverTracker),
      experiments: get(ctx, TOKENS.Experiments),
      clock: get(ctx, TOKENS.Clock),
      random: get(ctx, TOKENS.CodeRandom),
      config: get(ctx, TOKENS.Config),
    }),
  );

  // --------------------------------------------------------------- changes
  c.bind<ChangeFeed>(TOKENS.ChangeFeed).toDynamicValue((ctx) => {
    const local = get<LocalChanges>(ctx, TOKENS.LocalChanges);
    return database === undefined ? local : new MergedChangeFeed([local, get<ChangeNotifier>(ctx, TOKENS.ChangeNotifier)]);
  });
  if (database !== undefined) {
    c.bind<ChangeNotifier>(TOKENS.ChangeNotifier).toDynamicValue(
      (ctx) =>
        new ChangeNotifier(database, (e) => get<Logger>(ctx, TOKENS.Logger).warn('change notification failed', errorFields(e))),
    );
  }
  c.bind<LongPoll<Assignment | null>>(TOKENS.LongPoll).toDynamicValue((ctx) => {
    const repository = get<AssignmentRepository>(ctx, TOKENS.AssignmentRepository);
    return new LongPoll<Assignment | null>({
      feed: get<ChangeFeed>(ctx, TOKENS.ChangeFeed),
      read: (orderId) => repository.findByOrder(orderId),
      isNewer: (record, kept) => record !== null && (kept === null || record.version > kept.version),
    });
  });

  // ------------------------------------------------------- processing queue
  if (database !== undefined) {
    c.bind<ClosableEventSink>(TOKENS.EventSink).toDynamicValue(
      (ctx) =>
        options.sink ??
        sinkFromSettings(
          get<ServiceConfigSource>(ctx, TOKENS.Config).current().processingQueue,
          embeddedLookup(get(ctx, TOKENS.UseCases), get(ctx, TOKENS.Logger)),
        ),
    );
    c.bind<OutboxRelay>(TOKENS.OutboxRelay).toDynamicValue((ctx) => {
      const logger = get<Logger>(ctx, TOKENS.Logger);
      return new OutboxRelay({
        store: database,
        sink: get<EventSink>(ctx, TOKENS.EventSink),
        maxAttempts: get<ServiceConfigSource>(ctx, TOKENS.Config).current().processingQueue.maxAttempts,
        ...(options.relayPollIntervalMs !== undefined ? { pollIntervalMs: options.relayPollIntervalMs } : {}),
        onNotice: (notice) => {
          if (notice.kind === 'failed')
            logger.warn('processing event not delivered', {
              event_id: notice.eventId,
              attempts: notice.attempts,
              dead: notice.dead,
              error: notice.error,
            });
          else if (notice.kind === 'error') logger.warn('outbox relay error', errorFields(notice.error));
        },
      });
    });
  }

  // ----------------------------------------------------------- background
  /** The library's worker, as an embedder runs it: sweeps, the relay, housekeeping (delivered events kept a week). */
  c.bind<Worker>(TOKENS.Worker).toDynamicValue((ctx) => {
    const logger = get<Logger>(ctx, TOKENS.Logger);
    const config = get<ServiceConfigSource>(ctx, TOKENS.Config);
    const useCases = get<UseCases>(ctx, TOKENS.UseCases);
    const storage = get<AssignmentRepository>(ctx, TOKENS.StorageRepository);
    return new Worker({
      dispatch: {
        sweep: async () => {
          const result = await useCases.sweep.execute()();
          return E.isRight(result) ? { ok: true, value: result.right } : { ok: false, error: result.left };
        },
      },
      ...(database !== undefined && storage instanceof KyselyAssignmentRepository
        ? {
            store: { db: database.db, listen: database.listen, repository: storage },
            relay: get<OutboxRelay>(ctx, TOKENS.OutboxRelay),
          }
        : {}),
      sweepIntervalMs: options.sweepIntervalMs ?? 1000,
      // Failed entries as long as any area's window needs them.
      attemptsRetentionS: () =>
        Math.max(AREA_DEFAULTS.attemptsWindowS, ...Object.values(config.current().areas).map((a) => a.attemptsWindowS)) + 60,
      clock: get<Clock>(ctx, TOKENS.Clock),
      onEvent: (event) => {
        if (event.kind === 'swept') logger.info('sweep', { expired: event.expired, timed_out: event.timedOut });
        else if (event.kind === 'housekeeping_failed') logger.warn('housekeeping failed', errorFields(event.error));
        else if (event.kind === 'sweep_failed') logger.warn('sweep failed', sweepFailure(event.error));
        // The relay's notices are logged by the relay's own listener.
      },
    });
  });
  c.bind<Background>(TOKENS.Background).toDynamicValue(
    (ctx) =>
      new Background({
        worker: get(ctx, TOKENS.Worker),
        longPoll: get(ctx, TOKENS.LongPoll),
        logger: get(ctx, TOKENS.Logger),
        ...(database !== undefined
          ? {
              notifier: get<ChangeNotifier>(ctx, TOKENS.ChangeNotifier),
              sink: get<ClosableEventSink>(ctx, TOKENS.EventSink),
            }
          : {}),
      }),
  );

  // ------------------------------------------------------------------ http
  c.bind<Authenticator>(TOKENS.Authenticator).toDynamicValue((ctx) => new Authenticator(get(ctx, TOKENS.Config)));
  c.bind<() => Promise<boolean>>(TOKENS.Readiness).toConstantValue(async () => (database === undefined ? true : database.ping()));
  c.bind<AppDeps>(TOKENS.AppDeps).toDynamicValue((ctx) => {
    const metrics = get<Metrics>(ctx, TOKENS.Metrics);
    const config = get<ServiceConfigSource>(ctx, TOKENS.Config);
    const clock = get<Clock>(ctx, TOKENS.Clock);
    const storage = get<AssignmentRepository>(ctx, TOKENS.StorageRepository);
    metrics.watchCodeSpace(async () => {
      const now = clock.now().getTime();
      return Promise.all(
        Object.values(config.current().areas).map(async (area) => {
          const cutoff = new Date(now - area.codeReuseCooldownS * 1000);
          const taken = await storage.countTakenCodes(areaId(area.areaId), area.generator.length, cutoff);
          return { area: area.areaId, ratio: taken / codeSpaceSize(area.generator) };
        }),
      );
    });
    if (database !== undefined) {
      const relay = get<OutboxRelay>(ctx, TOKENS.OutboxRelay);
      metrics.watchOutbox(() => relay.stats());
    }
    const longPoll = get<LongPoll<Assignment | null>>(ctx, TOKENS.LongPoll);
    metrics.watchLongPolls(() => longPoll);
    return {
      config,
      dispatch: get(ctx, TOKENS.UseCases),
      authenticator: get(ctx, TOKENS.Authenticator),
      longPoll,
      logger: get(ctx, TOKENS.Logger),
      metrics,
      readiness: get(ctx, TOKENS.Readiness),
    };
  });

  return c;
};
