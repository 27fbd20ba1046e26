import * as E from 'fp-ts/Either';
import type * as TE from 'fp-ts/TaskEither';
import { isActive, type Assignment } from '../domain/assignment';
import { sameDriver, type AreaId, type Driver } from '../domain/ids';
import { transition } from '../domain/transition';
import type { AreaSettings, DispatchConfig } from '../config/config';
import type { DomainError } from '../errors';
import type { AssignmentRepository, Clock, ConfigSource } from '../ports';
import { normaliseTyped, parseCode } from '../codes';
import { enabledArea, MAX_CONFLICT_RETRIES, settle, useCase } from './shared';

export interface EnterCode {
  readonly areaId: AreaId;
  /** What the driver typed, as typed. */
  readonly typedCode: string;
  readonly driver: Driver;
}

/**
 * A driver enters a passenger's code (SPEC §6, assign): the assignment moves
 * to `processing` with this driver, and its processing event is written in
 * the same transaction. Repeating the call is harmless; failed entries count
 * towards the driver's attempt limit in the area.
 */
export class EnterCodeUseCase {
  constructor(
    private readonly repository: AssignmentRepository,
    private readonly clock: Clock,
    private readonly config: ConfigSource,
  ) {}

  execute(input: EnterCode): TE.TaskEither<DomainError, Assignment> {
    return useCase(async () => {
      const config = this.config.current();
      if (!config.processingEnabled) return E.left({ code: 'processing_disabled' });
      const area = enabledArea(config, input.areaId);
      if (E.isLeft(area)) return area;
      const now = this.clock.now();

      const limited = await this.attemptLimit(area.right, input.driver, now);
      if (E.isLeft(limited)) return limited;
      const code = await this.codeOf(area.right, input.typedCode);
      if (E.isLeft(code)) return code;

      for (let i = 0; i < MAX_CONFLICT_RETRIES; i++) {
        const decided = await this.attempt(config, area.right, code.right, input.driver, now);
        if (decided !== 'conflict') return decided;
      }
      // Others kept changing the record under us: someone else has it.
      return E.left({ code: 'code_already_in_use' });
    });
  }

  /** One read-decide-write round; `conflict` when the record moved meanwhile. */
  private async attempt(
    config: DispatchConfig,
    area: AreaSettings,
    code: string,
    driver: Driver,
    now: Date,
  ): Promise<E.Either<DomainError, Assignment> | 'conflict'> {
    const found = await this.repository.findActiveByCode(area.areaId as AreaId, code);
    const active = found === null ? null : await settle(this.repository, config, found, now);

    if (active === null || !isActive(active)) {
      // The same driver asking again after his lookup succeeded is a repeat, not a miss.
      const cutoff = new Date(now.getTime() - area.codeReuseCooldownS * 1000);
      const done = await this.repository.findAssignedByCodeAndDriver(area.areaId as AreaId, code, driver, cutoff);
      if (done !== null) return E.right(done);
      return this.failed(area, driver, now, { code: 'code_not_found' });
    }
    if (active.status === 'processing') {
      return sameDriver(active.driver, driver)
        ? E.right(active)
        : this.failed(area, driver, now, { code: 'code_already_in_use' });
    }

    // The database refuses a second `processing` for the driver; only then is
    // his other assignment read (it may just be a timeout nobody swept yet).
    const moved = transition(active, { type: 'code_entered', driver }, now);
    if (E.isLeft(moved)) return 'conflict';
    const outcome = await this.repository.applyTransition({
      expectedVersion: active.version,
      next: moved.right.assignment,
      change: moved.right.change,
      ...(moved.right.event ? { event: moved.right.event } : {}),
    });
    switch (outcome.kind) {
      case 'applied':
        return E.right(outcome.assignment);
      case 'conflict':
        return 'conflict';
      case 'driver_has_processing': {
        const held = await this.repository.findProcessingByDriver(driver);
        if (held === null) return 'conflict';
        const current = await settle(this.repository, config, held, now);
        return current.status === 'processing'
          ? E.left({ code: 'driver_has_active_assignment', orderId: held.orderId })
          : 'conflict';
      }
    }
  }

  /**
   * Brute force (SPEC §6): once a driver has `max_failed_attempts` failures
   * in the window, every entry in the area is refused until enough of them
   * have left the window to bring the count below the limit.
   */
  private async attemptLimit(area: AreaSettings, driver: Driver, now: Date): Promise<E.Either<DomainError, void>> {
    const windowMs = area.attemptsWindowS * 1000;
    const failures = await this.repository.failedAttemptsSince(area.areaId as AreaId, driver, new Date(now.getTime() - windowMs));
    if (failures.length < area.maxFailedAttempts) return E.right(undefined);
    const blocking = failures[failures.length - area.maxFailedAttempts] as Date;
    const retryAfterS = Math.max(1, Math.ceil((blocking.getTime() + windowMs - now.getTime()) / 1000));
    return E.left({ code: 'too_many_attempts', retryAfterS });
  }

  /**
   * The normalised code. A code that fails the format or checksum check may
   * still be an imported legacy code, while the area has any active ones.
   */
  private async codeOf(area: AreaSettings, typed: string): Promise<E.Either<DomainError, string>> {
    const parsed = parseCode(area.generator, typed);
    if (E.isRight(parsed)) return parsed;
    const areaId = area.areaId as AreaId;
    if (await this.repository.hasActiveLegacyCodes(areaId)) {
      const asWritten = normaliseTyped(area.generator, typed);
      const legacy = asWritten === '' ? null : await this.repository.findActiveByCode(areaId, asWritten);
      if (legacy !== null && legacy.legacy) return E.right(asWritten);
    }
    return parsed;
  }

  private async failed(
    area: AreaSettings,
    driver: Driver,
    at: Date,
    error: DomainError & { code: 'code_not_found' | 'code_already_in_use' },
  ): Promise<E.Either<DomainError, Assignment>> {
    await this.repository.recordFailedAttempt({ areaId: area.areaId as AreaId, driver, at, errorCode: error.code });
    return E.left(error);
  }
}
