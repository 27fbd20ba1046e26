import type { CodeDispatch } from '@codedispatch/core';
import { KyselyOperationsReadModel, type PostgresStore } from '@codedispatch/postgres';
import type { ClosableEventSink } from './event';
import { OutboxRelay, type RelayNotice } from './outbox-relay';

/*
 * The background work of code dispatch, for any process that runs the use
 * cases; the REST service runs this same worker (plus the change
 * notifications its long-polls wait on): the sweep (due expiries and
 * processing timeouts; without it an expired code stays taken until someone
 * reads its order), the outbox relay to a sink (without it events stay
 * undelivered), and housekeeping (old attempt rows, delivered events past
 * retention, the entry-outcome tally's old minutes). Several workers on one database are fine: the sweep's writes
 * are compare-and-set, the relay leases its rows.
 */

export interface WorkerOptions {
  /** The use cases, from `createCodeDispatch`: the worker sweeps through them. */
  readonly dispatch: Pick<CodeDispatch, 'sweep'>;
  /** The store of those use cases (not one on a transaction): the relay's outbox, and housekeeping. Without it, sweeps only. */
  readonly store?: Pick<PostgresStore, 'db'> &
    Partial<Pick<PostgresStore, 'listen'>> & {
      readonly repository: Pick<PostgresStore['repository'], 'pruneFailedAttempts'>;
      /** The entry-outcome tally's pruning; without it, one built once on `db`. */
      readonly operations?: Pick<PostgresStore['operations'], 'pruneEntryOutcomes'>;
    };
  /** Where the processing events go; without one (and no `relay`) the relay does not run. Closed by `stop()`. */
  readonly sink?: ClosableEventSink;
  /** A relay built by the caller instead (its own options, notices); the worker starts, stops and prunes it. */
  readonly relay?: OutboxRelay;
  /** Delivery attempts before an event is dead-lettered, for the relay the worker builds. Default 25. */
  readonly maxAttempts?: number;
  /** Default 1 s. */
  readonly sweepIntervalMs?: number;
  /** How often the relay the worker builds looks for due events without a wake-up. Default 1.5 s. */
  readonly relayPollIntervalMs?: number;
  /** Default 10 minutes (and once at start). */
  readonly housekeepingIntervalMs?: number;
  /** Delivered events are kept this long. Default 7 days. */
  readonly deliveredRetentionS?: number;
  /**
   * Attempt rows whose every failure is older than this are deleted: keep it
   * above every area's `attempts_window_s` (a function is asked at each run,
   * for a configuration that reloads). Default 1 day.
   */
  readonly attemptsRetentionS?: number | (() => number);
  /** The entry-outcome tally (the operations console's) keeps its minutes this long. Default 1 day. */
  readonly entryOutcomesRetentionS?: number;
  /** The use cases' clock, for the attempt rows' retention. Default the wall clock. */
  readonly clock?: { now(): Date };
  /** What the worker did or failed to do; must not throw. */
  readonly onEvent?: (event: WorkerEvent) => void;
}

export type WorkerEvent =
  | { readonly kind: 'swept'; readonly expired: number; readonly timedOut: number }
  | { readonly kind: 'sweep_failed'; readonly error: unknown }
  | { readonly kind: 'housekeeping_failed'; readonly error: unknown }
  | { readonly kind: 'relay'; readonly notice: RelayNotice };

const DEFAULT_SWEEP_MS = 1000;
const DEFAULT_HOUSEKEEPING_MS = 10 * 60_000;
const DEFAULT_DELIVERED_RETENTION_S = 7 * 86_400;
const DEFAULT_ATTEMPTS_RETENTION_S = 86_400;
const DEFAULT_ENTRY_OUTCOMES_RETENTION_S = 86_400;

/** The background work; `start()` it, `stop()` it at shutdown. */
export class Worker {
  /** The outbox relay, when there is one (stats, redrive of dead letters). */
  readonly relay: OutboxRelay | null;
  private sweepTimer: NodeJS.Timeout | null = null;
  private housekeepingTimer: NodeJS.Timeout | null = null;
  private sweeping: Promise<void> | null = null;
  private stopping: Promise<void> | null = null;
  private readonly tally: Pick<PostgresStore['operations'], 'pruneEntryOutcomes'> | null;

  constructor(private readonly options: WorkerOptions) {
    const { store, sink } = options;
    this.tally = store === undefined ? null : (store.operations ?? new KyselyOperationsReadModel(store.db));
    this.relay =
      options.relay ??
      (store === undefined || sink === undefined
        ? null
        : new OutboxRelay({
            store: { db: store.db, listen: store.listen ?? (async () => async () => undefined) },
            sink,
            maxAttempts: options.maxAttempts ?? 25,
            ...(options.relayPollIntervalMs !== undefined ? { pollIntervalMs: options.relayPollIntervalMs } : {}),
            onNotice: (notice) => this.tell({ kind: 'relay', notice }),
          }));
  }

  async start(): Promise<void> {
    if (this.sweepTimer !== null) return;
    this.stopping = null;
    await this.relay?.start();
    this.sweepTimer = setInterval(() => void this.sweepOnce(), this.options.sweepIntervalMs ?? DEFAULT_SWEEP_MS);
    this.sweepTimer.unref();
    void this.housekeeping();
    this.housekeepingTimer = setInterval(
      () => void this.housekeeping(),
      this.options.housekeepingIntervalMs ?? DEFAULT_HOUSEKEEPING_MS,
    );
    this.housekeepingTimer.unref();
  }

  /** One sweep now (or the one running). */
  sweepOnce(): Promise<void> {
    this.sweeping ??= (async () => {
      try {
        const outcome = await this.options.dispatch.sweep();
        if (!outcome.ok) this.tell({ kind: 'sweep_failed', error: outcome.error });
        else if (outcome.value.expired + outcome.value.timedOut > 0) this.tell({ kind: 'swept', ...outcome.value });
      } catch (error) {
        this.tell({ kind: 'sweep_failed', error });
      } finally {
        this.sweeping = null;
      }
    })();
    return this.sweeping;
  }

  /** Stops the timers, waits for the sweep in flight, flushes the relay and closes the sink. Safe to call twice. */
  stop(): Promise<void> {
    this.stopping ??= (async () => {
      if (this.sweepTimer !== null) clearInterval(this.sweepTimer);
      if (this.housekeepingTimer !== null) clearInterval(this.housekeepingTimer);
      this.sweepTimer = null;
      this.housekeepingTimer = null;
      await this.sweeping;
      try {
        await this.relay?.stop();
      } finally {
        await this.options.sink?.close();
      }
    })();
    return this.stopping;
  }

  private async housekeeping(): Promise<void> {
    const { store, attemptsRetentionS } = this.options;
    try {
      const keepS =
        typeof attemptsRetentionS === 'function' ? attemptsRetentionS() : (attemptsRetentionS ?? DEFAULT_ATTEMPTS_RETENTION_S);
      const now = this.options.clock?.now().getTime() ?? Date.now();
      await store?.repository.pruneFailedAttempts(new Date(now - keepS * 1000));
      await this.relay?.pruneDelivered(this.options.deliveredRetentionS ?? DEFAULT_DELIVERED_RETENTION_S);
      const tallyS = this.options.entryOutcomesRetentionS ?? DEFAULT_ENTRY_OUTCOMES_RETENTION_S;
      await this.tally?.pruneEntryOutcomes(new Date(now - tallyS * 1000));
    } catch (error) {
      this.tell({ kind: 'housekeeping_failed', error });
    }
  }

  private tell(event: WorkerEvent): void {
    try {
      this.options.onEvent?.(event);
    } catch {
      // A listener's failure is not the worker's.
    }
  }
}

/** A worker, started. */
export const startWorker = async (options: WorkerOptions): Promise<Worker> => {
  const worker = new Worker(options);
  await worker.start();
  return worker;
};
