import { errorFields, type Logger } from '../observability/logger';
import type { EntryOutcomeCount, OperationsReadModel } from './ports';

/** How often the counts are written. */
export const TALLY_FLUSH_MS = 5000;

const MINUTE_MS = 60_000;

/**
 * The answers that are a failed code entry: the code or the driver was
 * refused. An outage (`storage_unavailable`) or a switch that is off (area,
 * experiment, processing) says nothing about the queue, so it is not counted.
 */
export const ENTRY_REFUSALS: ReadonlySet<string> = new Set([
  'invalid_code_format',
  'invalid_code_checksum',
  'code_not_found',
  'code_already_in_use',
  'driver_has_active_assignment',
  'too_many_attempts',
]);

/**
 * The refused code entries of this instance (the assign endpoint's problem
 * answers), by area, minute and problem code. The request only increments a
 * map entry; the counts go to the database every 5 s and at shutdown, where
 * the instances' counts add up. A failed write is logged and its counts kept
 * for the next flush: it never fails a request.
 */
export class EntryOutcomeTally {
  private counts = new Map<string, EntryOutcomeCount>();
  private timer: NodeJS.Timeout | null = null;
  private flushing: Promise<void> | null = null;

  constructor(
    private readonly store: Pick<OperationsReadModel, 'recordEntryOutcomes'>,
    private readonly logger: Logger,
    private readonly now: () => Date = () => new Date(),
  ) {}

  /** One refused entry in `areaId`, answered with `code` (other answers are not failed entries: ignored). */
  count(areaId: string, code: string): void {
    if (!ENTRY_REFUSALS.has(code)) return;
    const minute = Math.floor(this.now().getTime() / MINUTE_MS) * MINUTE_MS;
    const key = `${minute}\u0000${areaId}\u0000${code}`;
    const kept = this.counts.get(key);
    this.counts.set(key, { areaId, minute: new Date(minute), code, count: (kept?.count ?? 0) + 1 });
  }

  /** Writes the counts so far; one flush at a time. */
  flush(): Promise<void> {
    this.flushing ??= this.write().finally(() => {
      this.flushing = null;
    });
    return this.flushing;
  }

  start(intervalMs = TALLY_FLUSH_MS): void {
    if (this.timer !== null) return;
    this.timer = setInterval(() => void this.flush(), intervalMs);
    this.timer.unref();
  }

  /** Stops the timer and writes what is left. */
  async stop(): Promise<void> {
    if (this.timer !== null) clearInterval(this.timer);
    this.timer = null;
    await this.flushing;
    await this.flush();
  }

  private async write(): Promise<void> {
    if (this.counts.size === 0) return;
    const batch = this.counts;
    this.counts = new Map();
    try {
      await this.store.recordEntryOutcomes([...batch.values()]);
    } catch (e) {
      // Kept for the next flush, added to what came in meanwhile.
      for (const [key, c] of batch) {
        const since = this.counts.get(key);
        this.counts.set(key, { ...c, count: c.count + (since?.count ?? 0) });
      }
      this.logger.warn('entry-outcome tally: write failed; the counts are kept for the next flush', {
        rows: batch.size,
        ...errorFields(e),
      });
    }
  }
}
