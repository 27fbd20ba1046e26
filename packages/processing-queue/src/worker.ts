import type { CodeDispatch } from '@codedispatch/core';
import type { PostgresStore } from '@codedispatch/postgres';
import type { ClosableEventSink } from './event';
import { OutboxRelay, type RelayNotice } from './outbox-relay';

/*
 * The background work of code dispatch, for any process that runs the use
 * cases (the REST service's own background does the same, plus its
 * long-poll notifications): the sweep (due expiries and processing
 * timeouts; without it an expired code stays taken until someone reads its
 * order), the outbox relay to a sink (without it events stay undelivered),
 * and housekeeping (old attempt rows, delivered events past retention).
 * Several workers on one database are fine: the sweep's writes are
 * compare-and-set, the relay leases its rows.
 */

export interface WorkerOptions {
  /** The use cases, from `createCodeDispatch`: the worker sweeps through them. */
  readonly dispatch: Pick<CodeDispatch, 'sweep'>;
  /** The store of those use cases (not one on a transaction). */
  readonly store: PostgresStore;
  /** Where the processing events go; without one the relay does not run. Closed by `stop()`. */
  readonly sink?: ClosableEventSink;
  /** Delivery attempts before an event is dead-lettered. Default 25. */
  readonly maxAttempts?: number;
  /** Default 1 s. */
  readonly sweepIntervalMs?: number;
  /** How often the relay looks for due events without a wake-up. Default 1.5 s. */
  readonly relayPollIntervalMs?: number;
  /** Default 10 minutes (and once at start). */
  readonly housekeepingIntervalMs?: number;
  /** Delivered events are kept this long. Default 7 days. */
  readonly deliveredRetentionS?: number;
  /** Attempt rows whose every failure is older than this are deleted. Default 1 day (keep it above every area's window). */
  readonly attemptsRetentionS?: number;
  /** What the worker did or failed to do; must not throw. */
  readonly onEvent?: (event: WorkerEvent) => void;
}

export type WorkerEvent =
  | { readonly kind: 'swept'; readonly expired: number; readonly timedOut: number }
  | { readonly kind: 'sweep_failed'; readonly error: unknown }
  | { readonly kind: 'housekeeping_failed'; readonly error: unknown }
  | { readonly kind: 'relay'; readonly notice: RelayNotice };

export interface Worker {
  /** One sweep now (or the one running). */
  sweepOnce(): Promise<void>;
  /** The outbox relay, when a sink was given (stats, redrive of dead letters). */
  readonly relay: OutboxRelay | null;
  /** Stops the timers, waits for the sweep in flight, flushes the relay and closes the sink. Safe to call twice. */
  stop(): Promise<void>;
}

export const startWorker = async (options: WorkerOptions): Promise<Worker> => {
  const tell = options.onEvent ?? (() => undefined);
  const { store } = options;
  const listen = store.listen ?? (async () => async () => undefined);
  const relay =
    options.sink === undefined
      ? null
      : new OutboxRelay({
          store: { db: store.db, listen },
          sink: options.sink,
          maxAttempts: options.maxAttempts ?? 25,
          ...(options.relayPollIntervalMs !== undefined ? { pollIntervalMs: options.relayPollIntervalMs } : {}),
          onNotice: (notice) => tell({ kind: 'relay', notice }),
        });

  let sweeping: Promise<void> | null = null;
  const sweepOnce = (): Promise<void> => {
    sweeping ??= (async () => {
      try {
        const outcome = await options.dispatch.sweep();
        if (!outcome.ok) tell({ kind: 'sweep_failed', error: outcome.error });
        else if (outcome.value.expired + outcome.value.timedOut > 0) tell({ kind: 'swept', ...outcome.value });
      } catch (error) {
        tell({ kind: 'sweep_failed', error });
      } finally {
        sweeping = null;
      }
    })();
    return sweeping;
  };
  const housekeeping = async (): Promise<void> => {
    try {
      const attemptsS = options.attemptsRetentionS ?? 86_400;
      await store.repository.pruneFailedAttempts(new Date(Date.now() - attemptsS * 1000));
      if (relay !== null) await relay.pruneDelivered(options.deliveredRetentionS ?? 7 * 86_400);
    } catch (error) {
      tell({ kind: 'housekeeping_failed', error });
    }
  };

  await relay?.start();
  const sweepTimer = setInterval(() => void sweepOnce(), options.sweepIntervalMs ?? 1000);
  sweepTimer.unref();
  void housekeeping();
  const housekeepingTimer = setInterval(() => void housekeeping(), options.housekeepingIntervalMs ?? 10 * 60_000);
  housekeepingTimer.unref();

  let stopped: Promise<void> | null = null;
  return {
    sweepOnce,
    relay,
    stop: () =>
      (stopped ??= (async () => {
        clearInterval(sweepTimer);
        clearInterval(housekeepingTimer);
        await sweeping;
        await relay?.stop();
        await options.sink?.close();
      })()),
  };
};
