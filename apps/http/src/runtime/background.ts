import type { ChangeNotifier } from '@codedispatch/postgres';
import type { ClosableEventSink, OutboxRelay } from '@codedispatch/processing-queue';
import type { LongPoll } from '../http/long-poll';
import { errorFields, type Logger } from '../observability/logger';
import type { Sweeper } from './sweeper';

export interface BackgroundParts {
  readonly sweeper: Sweeper;
  readonly longPoll: LongPoll;
  readonly logger: Logger;
  /** With a database: the LISTEN for changes, and the outbox relay with its sink. */
  readonly notifier?: ChangeNotifier;
  readonly relay?: OutboxRelay;
  readonly sink?: ClosableEventSink;
}

/** The work an instance does besides answering requests: notifier, relay, sweeps. */
export class Background {
  private started = false;

  constructor(private readonly parts: BackgroundParts) {}

  async start(): Promise<void> {
    if (this.started) return;
    this.started = true;
    await this.parts.notifier?.start();
    await this.parts.relay?.start();
    this.parts.sweeper.start();
  }

  /** Answers every waiting long-poll now with the current state. */
  answerWaiters(): Promise<void> {
    return this.parts.longPoll.shutdown();
  }

  /** Stops sweeping, flushes the relay, stops listening, closes the sink. Safe to call twice. */
  async stop(): Promise<void> {
    const { sweeper, relay, notifier, sink, logger } = this.parts;
    const step = async (what: string, run: () => Promise<unknown> | undefined): Promise<void> => {
      try {
        await run();
      } catch (e) {
        logger.warn(`shutdown: ${what} failed`, errorFields(e));
      }
    };
    await step('sweeper', () => sweeper.stop());
    await step('outbox relay', () => relay?.stop());
    await step('notifier', () => notifier?.stop());
    await step('sink', () => sink?.close());
    this.started = false;
  }
}
