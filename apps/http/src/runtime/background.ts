import type { ChangeNotifier } from '@codedispatch/postgres';
import type { ClosableEventSink, OutboxRelay } from '@codedispatch/processing-queue';
import type { LongPoll } from '../http/long-poll';
import { errorFields, type Logger } from '../observability/logger';
import type { Sweeper } from './sweeper';

export interface BackgroundParts {
  readonly sweeper: Sweeper;
  readonly longPoll: Pick<LongPoll<unknown>, 'shutdown'>;
  readonly logger: Logger;
  /** With a database: the LISTEN for changes, and the outbox relay with its sink. */
  readonly notifier?: ChangeNotifier;
  readonly relay?: OutboxRelay;
  readonly sink?: ClosableEventSink;
  /** Deletes what no rule needs any more (old failed entries, delivered events). */
  readonly housekeeping?: () => Promise<void>;
}

/** Housekeeping is cheap but not urgent: every ten minutes, and once at start. */
const HOUSEKEEPING_INTERVAL_MS = 10 * 60 * 1000;

/** The work an instance does besides answering requests: notifier, relay, sweeps. */
export class Background {
  private started = false;
  private housekeepingTimer: NodeJS.Timeout | null = null;

  constructor(private readonly parts: BackgroundParts) {}

  async start(): Promise<void> {
    if (this.started) return;
    this.started = true;
    await this.parts.notifier?.start();
    await this.parts.relay?.start();
    this.parts.sweeper.start();
    const { housekeeping, logger } = this.parts;
    if (housekeeping !== undefined) {
      const run = (): void => void housekeeping().catch((e: unknown) => logger.warn('housekeeping failed', errorFields(e)));
      run();
      this.housekeepingTimer = setInterval(run, HOUSEKEEPING_INTERVAL_MS);
      this.housekeepingTimer.unref();
    }
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
    if (this.housekeepingTimer !== null) clearInterval(this.housekeepingTimer);
    this.housekeepingTimer = null;
    await step('sweeper', () => sweeper.stop());
    await step('outbox relay', () => relay?.stop());
    await step('notifier', () => notifier?.stop());
    await step('sink', () => sink?.close());
    this.started = false;
  }
}
