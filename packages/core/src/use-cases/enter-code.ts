import * as E from 'fp-ts/Either';
import type * as TE from 'fp-ts/TaskEither';
import { isActive, type Assignment } from '../domain/assignment';
import { sameDriver, type AreaId, type Driver } from '../domain/ids';
import type { AreaSettings, DispatchConfig } from '../config/config';
import type { DomainError } from '../errors';
import type { AssignmentRepository, AttemptEntry, AttemptLimit, Clock, ConfigSource } from '../ports';
import { normaliseTyped, parseCode } from '../codes';
import { changeRecord, settle, type Decision, type RecordPorts } from './change-record';
import { enabledArea, secondsLater, useCase } from './shared';

export interface EnterCode {
  readonly areaId: AreaId;
  /** What the driver typed, as typed. */
  readonly typedCode: string;
  readonly driver: Driver;
}

/** An entry decided in the record, and whether its transition already took its reservation back. */
interface Entered {
  readonly assignment: Assignment;
  readonly released: boolean;
}

/** The failed entries the attempt limit counts (SPEC §6, brute force); format and checksum errors do not. */
const isFailure = (result: E.Either<DomainError, unknown>): boolean =>
  E.isLeft(result) && (result.left.code === 'code_not_found' || result.left.code === 'code_already_in_use');

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
    let decided: E.Either<DomainError, Entered>;
    try {
      decided = await this.decide(config, area, typed, entry);
    } catch (e) {
      // The storage failed midway: take the reservation back if it still can be (else it counts).
      await this.repository.releaseAttempt(entry).catch(() => undefined);
      throw e;
    }
    const released = E.isRight(decided) && decided.right.released;
    if (!released && !isFailure(decided)) await this.repository.releaseAttempt(entry);
    return E.isRight(decided) ? E.right(decided.right.assignment) : decided;
  }

  /** Counts the entry as failed before it is decided, unless the attempt limit refuses it. */
  private async reserve(area: AreaSettings, entry: AttemptEntry): Promise<E.Either<DomainError, void>> {
    const reservation = await this.repository.reserveAttempt(entry, limitOf(area, entry.at));
    return reservation.kind === 'reserved' ? E.right(undefined) : E.left(tooManyAttempts(area, reservation.failures, entry.at));
  }

  /**
   * Decides the entry on its code's active record: read by (area, code),
   * settled, then answered or moved to processing with this driver — its
   * event written and its reservation taken back in the same transaction.
   *
   * A record that keeps changing past the retries is `storage_unavailable`,
   * as for every use case; it used to be `code_already_in_use`. Hardly
   * reachable: a round loses its write only to another writer of a pending or
   * retryable record (another driver's entry, a cancel, an expiry), and the
   * next round answers without writing (processing: in use or a repeat;
   * final: not found) unless the record came back to a retryable error
   * meanwhile — a whole entry and failed lookup by someone else per round.
   * Should it happen, nobody may hold the code at that moment: "try again"
   * (503), with the entry not counted as a failure, is what the driver
   * should get, not a 409 charged to his attempt limit.
   */
  private async decide(
    config: DispatchConfig,
    area: AreaSettings,
    typed: string,
    entry: AttemptEntry,
  ): Promise<E.Either<DomainError, Entered>> {
    const code = await this.codeOf(area, typed);
    if (E.isLeft(code)) return code;
    const { driver, at: now } = entry;
    const areaId = area.areaId as AreaId;
    // Judged at the time of the entry, by the configuration it was checked against.
    const ports: RecordPorts = { repository: this.repository, config: { current: () => config }, clock: { now: () => now } };
    const answer = (result: E.Either<DomainError, Entered>): Decision<Entered> => ({ kind: 'answer', result });
    // The same driver asking again after his lookup succeeded is a repeat, not a miss.
    const repeatOrMiss = async (): Promise<E.Either<DomainError, Entered>> => {
      const cutoff = secondsLater(now, -area.codeReuseCooldownS);
      const done = await this.repository.findAssignedByCodeAndDriver(areaId, code.right, driver, cutoff);
      return done !== null ? E.right({ assignment: done, released: false }) : E.left({ code: 'code_not_found' });
    };

    return changeRecord<Entered>(ports, {
      name: `code ${code.right} in ${areaId}`,
      read: () => this.repository.findActiveByCode(areaId, code.right),
      missing: repeatOrMiss,
      decide: async (active) => {
        if (!isActive(active)) return answer(await repeatOrMiss());
        if (active.status === 'processing') {
          return answer(
            sameDriver(active.driver, driver)
              ? E.right({ assignment: active, released: false })
              : E.left({ code: 'code_already_in_use' }),
          );
        }
        return {
          kind: 'move',
          event: { type: 'code_entered', driver },
          releasesAttempt: entry,
          answer: (moved) => ({ assignment: moved, released: true }),
        };
      },
      // The database refuses a second `processing` for the driver; only then is
      // his other assignment read (it may just be a timeout nobody swept yet).
      driverHasProcessing: async () => {
        const held = await this.repository.findProcessingByDriver(driver);
        if (held === null) return 'again';
        const current = await settle(ports, held);
        if (E.isLeft(current)) return current;
        return current.right.status === 'processing'
          ? E.left({ code: 'driver_has_active_assignment', orderId: held.orderId })
          : 'again';
      },
    });
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
