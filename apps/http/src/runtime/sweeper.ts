import * as E from 'fp-ts/Either';
import type { SweepUseCase } from '@codedispatch/core';
import { errorFields, type Logger } from '../observability/logger';

/**
 * Runs the background sweep (expiry, processing timeouts) every interval on
 * every instance; the writes are compare-and-set, so instances may sweep at
 * once. Runs never overlap; `stop()` waits for the one in flight.
 */
export class Sweeper {
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<void> | null = null;

  constructor(
    private readonly sweep: SweepUseCase,
    private readonly logger: Logger,
    private readonly intervalMs = 1000,
  ) {}

  start(): void {
    if (this.timer !== null) return;
    this.timer = setInterval(() => void this.runOnce(), this.intervalMs);
    this.timer.unref();
  }

  /** One sweep now (skipped when one is already running). */
  runOnce(): Promise<void> {
    if (this.running !== null) return this.running;
    this.running = (async () => {
      try {
        const result = await this.sweep.execute()();
        if (E.isLeft(result)) {
          this.logger.warn('sweep failed', {
            code: result.left.code,
            ...(result.left.code === 'storage_unavailable' ? errorFields(result.left.cause) : {}),
          });
        } else if (result.right.expired + result.right.timedOut > 0) {
          this.logger.info('sweep', { expired: result.right.expired, timed_out: result.right.timedOut });
        }
      } catch (e) {
        this.logger.error('sweep crashed', errorFields(e));
      } finally {
        this.running = null;
      }
    })();
    return this.running;
  }

  async stop(): Promise<void> {
    if (this.timer !== null) clearInterval(this.timer);
    this.timer = null;
    await this.running;
  }
}
