import * as E from 'fp-ts/Either';
import type * as TE from 'fp-ts/TaskEither';
import { isActive, type Assignment } from '../domain/assignment';
import { sameDriver, type AreaId, type Driver } from '../domain/ids';
import { transition } from '../domain/transition';
import type { AreaSettings, DispatchConfig } from '../config/config';
import type { DomainError } from '../errors';
import type { AssignmentRepository, AttemptEntry, AttemptLimit, Clock, ConfigSource } from '../ports';
import { normaliseTyped, parseCode } from '../codes';
import { MAX_CONFLICT_RETRIES, settle, type RecordPorts } from './change-record';
import { enabledArea, secondsLater, useCase } from './shared';

export interface EnterCode {
  readonly areaId: AreaId;
  /** What the driver typed, as typed. */
  readonly typedCode: string;
  readonly driver: Driver;
}

/** What one entry came to, and whether its transition already took its reservation back. */
interface Decided {
  readonly result: E.Either<DomainError, Assignment>;
  readonly released: boolean;
}

/** The failed entries the attempt limit counts (SPEC §6, brute force); format and checksum errors do not. */
const isFailure = (result: E.Either<DomainError, Assignment>): boolean =>
  E.isLeft(result) && (result.left.code === 'code_not_found' || result.left.code === 'code_already_in_use');

/**
 * A driver enters a passenger's code (SPEC §6, assign): the assignment moves
 * to `processing` with this driver, and its processing event is written in
 * the same transaction. Repeating the call is harmless; failed entries count
 * towards the driver's attempt limit in the area.
 *
 * The attempt limit is a reservation: every entry is counted as failed before
 * its code is looked up, and taken back when it did not fail. The repository
 * serialises reservations per driver and area, so however many entries a
 * driver sends at once, on however many instances, at most
 * `max_failed_attempts` of them are looked up. The price: entries still being
 * decided count too, so a driver sending more than `max_failed_attempts` at
 * once gets 429 for the surplus even when none of them fails.
 */
/** The attempt limit of an area at `now`: failures after the window's start count. */
const limitOf = (area: AreaSettings, now: Date): AttemptLimit => ({
  since: secondsLater(now, -area.attemptsWindowS),
  maxFailures: area.maxFailedAttempts,
});

/**
 * Brute force (SPEC §6): once a driver has `max_failed_attempts` failures in
 * the window, every entry in the area is refused until enough of them have
 * left the window to bring the count below the limit.
 */
const tooManyAttempts = (area: AreaSettings, failures: readonly Date[], now: Date): DomainError => {
  // Fewer than the limit: an undecided entry was decided meanwhile, so the driver may try again now.
  const blocking = failures[failures.length - area.maxFailedAttempts];
  const retryAfterS =
    blocking === undefined
      ? 1
      : Math.max(1, Math.ceil((blocking.getTime() + area.attemptsWindowS * 1000 - now.getTime()) / 1000));
  return { code: 'too_many_attempts', retryAfterS };
};

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
      const entry: AttemptEntry = { areaId: input.areaId, driver: input.driver, at: now };

      // The common path, one step in the repository: a well-formed code decided at once.
      const parsed = parseCode(area.right.generator, input.typedCode);
      if (E.isRight(parsed)) {
        const fast = await this.repository.enterCode({
          ...entry,
          code: parsed.right,
          limit: limitOf(area.right, now),
          processingTimedOutAt: secondsLater(now, -area.right.processingTimeoutS),
          repeatReleasedAfter: secondsLater(now, -area.right.codeReuseCooldownS),
        });
        switch (fast.kind) {
          case 'entered':
          case 'repeated':
            return E.right(fast.assignment);
          case 'not_found':
            return E.left({ code: 'code_not_found' });
          case 'in_use':
            return E.left({ code: 'code_already_in_use' });
          case 'refused':
            return E.left(tooManyAttempts(area.right, fast.failures, now));
          case 'undecided':
            return this.decideReserved(config, area.right, input.typedCode, entry);
          case 'lost_race':
            break; // decided again below, from the start
        }
      }

      const limited = await this.reserve(area.right, entry);
      if (E.isLeft(limited)) return limited;
      return this.decideReserved(config, area.right, input.typedCode, entry);
    });
  }

  /** The slower path, with the entry already counted as failed: decides, then takes the count back unless it failed. */
  private async decideReserved(
    config: DispatchConfig,
    area: AreaSettings,
    typed: string,
    entry: AttemptEntry,
  ): Promise<E.Either<DomainError, Assignment>> {
    let decided: Decided;
    try {
      decided = await this.decide(config, area, typed, entry);
    } catch (e) {
      // The storage failed midway: take the reservation back if it still can be (else it counts).
      await this.repository.releaseAttempt(entry).catch(() => undefined);
      throw e;
    }
    if (!decided.released && !isFailure(decided.result)) await this.repository.releaseAttempt(entry);
    return decided.result;
  }

  /** Counts the entry as failed before it is decided, unless the attempt limit refuses it. */
  private async reserve(area: AreaSettings, entry: AttemptEntry): Promise<E.Either<DomainError, void>> {
    const reservation = await this.repository.reserveAttempt(entry, limitOf(area, entry.at));
    return reservation.kind === 'reserved' ? E.right(undefined) : E.left(tooManyAttempts(area, reservation.failures, entry.at));
  }

  private async decide(config: DispatchConfig, area: AreaSettings, typed: string, entry: AttemptEntry): Promise<Decided> {
    const code = await this.codeOf(area, typed);
    if (E.isLeft(code)) return { result: code, released: false };
    for (let i = 0; i < MAX_CONFLICT_RETRIES; i++) {
      const decided = await this.attempt(config, area, code.right, entry);
      if (decided !== 'conflict') return decided;
    }
    // Others kept changing the record under us: someone else has it.
    return { result: E.left({ code: 'code_already_in_use' }), released: false };
  }

  /** One read-decide-write round; `conflict` when the record moved meanwhile. */
  private async attempt(
    config: DispatchConfig,
    area: AreaSettings,
    code: string,
    entry: AttemptEntry,
  ): Promise<Decided | 'conflict'> {
    const { driver, at: now } = entry;
    const answer = (result: E.Either<DomainError, Assignment>): Decided => ({ result, released: false });
    const ports: RecordPorts = { repository: this.repository, config: { current: () => config }, clock: { now: () => now } };
    const found = await this.repository.findActiveByCode(area.areaId as AreaId, code);
    const settledFound = found === null ? null : await settle(ports, found);
    if (settledFound !== null && E.isLeft(settledFound)) return answer(settledFound);
    const active = settledFound === null ? null : settledFound.right;

    if (active === null || !isActive(active)) {
      // The same driver asking again after his lookup succeeded is a repeat, not a miss.
      const cutoff = new Date(now.getTime() - area.codeReuseCooldownS * 1000);
      const done = await this.repository.findAssignedByCodeAndDriver(area.areaId as AreaId, code, driver, cutoff);
      return answer(done !== null ? E.right(done) : E.left({ code: 'code_not_found' }));
    }
    if (active.status === 'processing') {
      return answer(sameDriver(active.driver, driver) ? E.right(active) : E.left({ code: 'code_already_in_use' }));
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
      releasesAttempt: entry,
    });
    switch (outcome.kind) {
      case 'applied':
        return { result: E.right(outcome.assignment), released: true };
      case 'conflict':
        return 'conflict';
      case 'driver_has_processing': {
        const held = await this.repository.findProcessingByDriver(driver);
        if (held === null) return 'conflict';
        const current = await settle(ports, held);
        if (E.isLeft(current)) return answer(current);
        return current.right.status === 'processing'
          ? answer(E.left({ code: 'driver_has_active_assignment', orderId: held.orderId }))
          : 'conflict';
      }
    }
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
}
