import type { ChangeNotifier } from '@codedispatch/postgres';
import type { ClosableEventSink, Worker } from '@codedispatch/processing-queue';
import type { LongPoll } from '../http/long-poll';
import type { EntryOutcomeTally } from '../operations/entry-outcome-tally';
import { errorFields, type Logger } from '../observability/logger';

export interface BackgroundParts {
  /** The library's worker: sweeps, the outbox relay, housekeeping (what an embedder runs too). */
  readonly worker: Pick<Worker, 'start' | 'stop'>;
  readonly longPoll: Pick<LongPoll<unknown>, 'shutdown'>;
  readonly logger: Logger;
  /** With a database: the LISTEN for changes, and the relay's sink. */
  readonly notifier?: ChangeNotifier;
  readonly sink?: ClosableEventSink;
  /** With a database: the console's tally of refused code entries, written every few seconds and at shutdown. */
  readonly tally?: Pick<EntryOutcomeTally, 'start' | 'stop'>;
}

/** The work an instance does besides answering requests: the worker, and the change notifications long-polls wait on. */
export class Background {
  private started = false;

  constructor(private readonly parts: BackgroundParts) {}

  async start(): Promise<void> {
    if (this.started) return;
    this.started = true;
    await this.parts.notifier?.start();
    await this.parts.worker.start();
    this.parts.tally?.start();
  }

  /** Answers every waiting long-poll now with the current state. */
  answerWaiters(): Promise<void> {
    return this.parts.longPoll.shutdown();
  }

  /** Writes the tally's last counts, stops the worker (sweeps, then the relay, flushed), stops listening, closes the sink. Safe to call twice. */
  async stop(): Promise<void> {
    const { worker, notifier, sink, tally, logger } = this.parts;
    const step = async (what: string, run: () => Promise<unknown> | undefined): Promise<void> => {
      try {
        await run();
      } catch (e) {
        logger.warn(`shutdown: ${what} failed`, errorFields(e));
      }
    };
    await step('entry-outcome tally', () => tally?.stop());
    await step('worker', () => worker.stop());
    await step('notifier', () => notifier?.stop());
    await step('sink', () => sink?.close());
    this.started = false;
  }
}
