import 'reflect-metadata';
import * as E from 'fp-ts/Either';
import { Container, type ResolutionContext } from 'inversify';
import { OpenFeature, type Client } from '@openfeature/server-sdk';
import {
  SystemClock,
  WebCryptoCodeRandom,
  type Assignment,
  type AssignmentRepository,
  type Clock,
  type UseCases,
  type CodeRandom,
  type DriverTracker,
  type Experiments,
} from '@codedispatch/core';
import { createUseCases } from '@codedispatch/core/adapter';
import { InMemoryAssignmentRepository } from '@codedispatch/core/testing';
import {
  ChangeNotifier,
  KyselyAssignmentRepository,
  KyselyOperationsReadModel,
  type DatabaseHandle,
} from '@codedispatch/postgres';
import { OutboxRelay, Worker, sinkFromSettings, type ClosableEventSink, type EventSink } from '@codedispatch/processing-queue';
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
import { trackerFromSettings } from './adapters/tracker-from-settings';
import { codeSpaceUse } from './observability/code-space-use';
import { attemptsRetentionS, embeddedLookup, logRelayNotice, logWorkerEvent } from './runtime/background-policy';
import type { ConfigStatus, ServiceConfigSource } from './config/service-config';
import { documentVersion } from './config/load-config';
import { EntryOutcomeTally } from './operations/entry-outcome-tally';
import type { OperationsReadModel } from './operations/ports';

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

/** A provider other than the SDK's no-op one was registered programmatically. */
const openFeatureProviderRegistered = (): boolean => OpenFeature.providerMetadata.name !== 'No-op Provider';

/** The source's own status; a fixed configuration (embedders) is versioned by its settings, loaded at the start. */
const configStatusOf = (config: ServiceConfigSource, startedAt: Date) => (): ConfigStatus =>
  config.status?.() ?? {
    origin: { kind: 'demo' },
    version: documentVersion(JSON.stringify(config.current())),
    loadedAt: startedAt,
    lastReload: null,
    appliesAtRestart: [],
  };

export const buildContainer = (options: ContainerOptions): Container => {
  const c = new Container({ defaultScope: 'Singleton' });
  const startedAt = new Date();
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
  c.bind<DriverTracker>(TOKENS.DriverTracker).toDynamicValue(
    (ctx) =>
      options.tracker ??
      trackerFromSettings(
        get<ServiceConfigSource>(ctx, TOKENS.Config).current().tracker,
        get<Metrics>(ctx, TOKENS.Metrics).meterTracker,
      ),
  );
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
      return new OutboxRelay({
        store: database,
        sink: get<EventSink>(ctx, TOKENS.EventSink),
        maxAttempts: get<ServiceConfigSource>(ctx, TOKENS.Config).current().processingQueue.maxAttempts,
        ...(options.relayPollIntervalMs !== undefined ? { pollIntervalMs: options.relayPollIntervalMs } : {}),
        onNotice: logRelayNotice(get<Logger>(ctx, TOKENS.Logger)),
      });
    });
  }

  // ------------------------------------------------------------ operations
  if (database !== undefined) {
    c.bind<OperationsReadModel>(TOKENS.OperationsReadModel).toDynamicValue(() => new KyselyOperationsReadModel(database.db));
    c.bind<EntryOutcomeTally>(TOKENS.EntryOutcomeTally).toDynamicValue(
      (ctx) =>
        new EntryOutcomeTally(get(ctx, TOKENS.OperationsReadModel), get(ctx, TOKENS.Logger), () =>
          get<Clock>(ctx, TOKENS.Clock).now(),
        ),
    );
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
      attemptsRetentionS: attemptsRetentionS(config),
      clock: get<Clock>(ctx, TOKENS.Clock),
      onEvent: logWorkerEvent(logger),
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
              tally: get<EntryOutcomeTally>(ctx, TOKENS.EntryOutcomeTally),
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
    metrics.watchCodeSpace(codeSpaceUse(config, clock, storage));
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
      configStatus: configStatusOf(config, startedAt),
      ...(database !== undefined
        ? {
            operations: {
              readModel: get<OperationsReadModel>(ctx, TOKENS.OperationsReadModel),
              outbox: get<OutboxRelay>(ctx, TOKENS.OutboxRelay),
              tally: get<EntryOutcomeTally>(ctx, TOKENS.EntryOutcomeTally),
              clock,
            },
          }
        : {}),
    };
  });

  return c;
};
