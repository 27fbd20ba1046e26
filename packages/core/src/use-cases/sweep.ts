import * as E from 'fp-ts/Either';
import type * as TE from 'fp-ts/TaskEither';
import type { Assignment } from '../domain/assignment';
import { AREA_DEFAULTS } from '../config/config';
import type { DomainError } from '../errors';
import type { AssignmentRepository, Clock, ConfigSource } from '../ports';
import { settleReporting } from './change-record';
import { useCase } from './shared';

export interface SweepReport {
  readonly expired: number;
  readonly timedOut: number;
}

/**
 * The background sweep (SPEC §6): pending or retryable-error records past
 * `expires_at` become `error(expired)`; records in `processing` longer than
 * their area's `processing_timeout_s` become `error(processing_timeout)`.
 * Every write is a compare-and-set, so sweeps on several instances may run at
 * once without moving a record twice.
 */
export class SweepUseCase {
  constructor(
    private readonly repository: AssignmentRepository,
    private readonly clock: Clock,
    private readonly config: ConfigSource,
    private readonly batchSize = 500,
  ) {}

  execute(): TE.TaskEither<DomainError, SweepReport> {
    return useCase(async () => {
      const config = this.config.current();
      const now = this.clock.now();
      const expired = await this.settleAll(await this.repository.findExpired(now, this.batchSize), now, 'expired');

      // Fetch with the shortest timeout of any area; each record is then judged by its own area's.
      const shortest = Math.min(
        AREA_DEFAULTS.processingTimeoutS,
        ...Object.values(config.areas).map((a) => a.processingTimeoutS),
      );
      const stale = await this.repository.findProcessingSince(new Date(now.getTime() - shortest * 1000), this.batchSize);
      const timedOut = await this.settleAll(stale, now, 'processing_timeout');
      return E.right({ expired, timedOut });
    });
  }

  private async settleAll(
    records: readonly Assignment[],
    now: Date,
    errorCode: 'expired' | 'processing_timeout',
  ): Promise<number> {
    // Every record is judged at the sweep's own `now`; one that keeps changing is left to whoever changes it.
    const ports = { repository: this.repository, config: this.config, clock: { now: () => now } };
    let moved = 0;
    for (const record of records) {
      const after = await settleReporting(ports, record);
      if (E.isRight(after) && after.right.moved && after.right.assignment.errorCode === errorCode) moved++;
    }
    return moved;
  }
}
