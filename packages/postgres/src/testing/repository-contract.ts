import * as E from 'fp-ts/Either';
import {
  areaId,
  DEFAULT_GENERATOR,
  driver,
  orderId,
  type Assignment,
  type AssignmentDraft,
  type AssignmentRepository,
  type Driver,
  type ProcessingEvent,
  type TransitionOutcome,
} from '@codedispatch/core';
import { codeAt, createUseCases, newAssignment, transition, type AssignmentEvent } from '@codedispatch/core/adapter';
import {
  areaSettings,
  FixedClock,
  FixedExperiments,
  InMemoryDriverTracker,
  SeededCodeRandom,
  StaticConfigSource,
  testConfig,
} from '@codedispatch/core/testing';

/*
 * The behaviour every AssignmentRepository adapter must have, written once
 * and run against each of them (in memory, PGlite, PostgreSQL): SPEC §3's
 * invariants, the change log and the outbox written with their transition,
 * and the finders the use cases rely on.
 */

/** An outbox entry as an adapter reports it. */
export interface WrittenEvent {
  readonly eventId: string;
  readonly event: ProcessingEvent;
}

export interface RepositoryUnderTest {
  readonly repo: AssignmentRepository;
  /**
   * Another instance's repository on the same storage: its own pool on a real
   * server; the same session on PGlite and the same store in memory.
   */
  another(): Promise<AssignmentRepository>;
  /** The events in the outbox, in the order they were written. */
  outbox(): Promise<readonly WrittenEvent[]>;
  /** Puts records in as they are (imported data, fixtures); fails on what the invariants forbid. */
  seed(records: readonly Assignment[]): Promise<void>;
  close(): Promise<void>;
}

const T0 = new Date('2026-11-26T10:00:00.000Z');
const at = (seconds: number): Date => new Date(T0.getTime() + seconds * 1000);
const LONG_AGO = new Date('2000-01-01T00:00:00.000Z');

const SVO = areaId('svo_d');
const ZENIT = areaId('zenit');
const D1 = driver('park1', 'd1');
const D2 = driver('park1', 'd2');
const D1_OTHER_PARK = driver('park2', 'd1');

export const draft = (id: string, area = SVO, createdAt = T0, expireS = 1800): AssignmentDraft => ({
  orderId: orderId(id),
  areaId: area,
  userId: `user-${id}`,
  createdAt,
  expiresAt: new Date(createdAt.getTime() + expireS * 1000),
  actor: { kind: 'service', name: 'ordercommit' },
});

export const assignmentRepositoryContract = (name: string, makeRepo: () => Promise<RepositoryUnderTest>): void => {
  describe(`AssignmentRepository contract: ${name}`, () => {
    let subject: RepositoryUnderTest;
    let repo: AssignmentRepository;

    beforeEach(async () => {
      subject = await makeRepo();
      repo = subject.repo;
    });
    afterEach(async () => {
      await subject.close();
    });

    /** Inserts a pending record with exactly this code. */
    const create = async (
      id: string,
      code: string,
      area = SVO,
      createdAt = T0,
      cooldownCutoff = LONG_AGO,
    ): Promise<Assignment> => {
      const outcome = await repo.insertWithFreshCode(draft(id, area, createdAt), [code], cooldownCutoff);
      if (outcome.kind !== 'inserted') throw new Error(`could not create ${id} with ${code}: ${outcome.kind}`);
      return outcome.assignment;
    };

    /** Applies a legal transition of the core to the record. */
    const move = async (a: Assignment, event: AssignmentEvent, now: Date): Promise<TransitionOutcome> => {
      const moved = transition(a, event, now);
      if (E.isLeft(moved)) throw new Error(`illegal: ${JSON.stringify(moved.left)}`);
      return repo.applyTransition({
        expectedVersion: a.version,
        next: moved.right.assignment,
        change: moved.right.change,
        ...(moved.right.event ? { event: moved.right.event } : {}),
      });
    };

    const applied = async (outcome: Promise<TransitionOutcome>): Promise<Assignment> => {
      const o = await outcome;
      if (o.kind !== 'applied') throw new Error(`expected applied, got ${o.kind}`);
      return o.assignment;
    };

    const enter = (a: Assignment, d: Driver, now = at(10)) => applied(move(a, { type: 'code_entered', driver: d }, now));

    describe('insertWithFreshCode and the finders', () => {
      it('inserts the draft as newAssignment builds it, with the first candidate', async () => {
        const outcome = await repo.insertWithFreshCode(draft('o1'), ['482913', '111111'], LONG_AGO);
        const expected = newAssignment({ ...draft('o1'), code: '482913' });
        expect(outcome).toEqual({ kind: 'inserted', assignment: expected });
        expect(await repo.findByOrder(orderId('o1'))).toEqual(expected);
        expect(await repo.findActiveByCode(SVO, '482913')).toEqual(expected);
        expect(await repo.findActiveByCode(ZENIT, '482913')).toBeNull();
        expect(await repo.findActiveByCode(SVO, '111111')).toBeNull();
        expect(await repo.findByOrder(orderId('nope'))).toBeNull();
      });

      it('keeps a null user and a driver actor in the creation entry', async () => {
        const d: AssignmentDraft = { ...draft('o1'), userId: null, actor: { kind: 'driver', driver: D1 } };
        const outcome = await repo.insertWithFreshCode(d, ['100'], LONG_AGO);
        expect(outcome).toEqual({ kind: 'inserted', assignment: newAssignment({ ...d, code: '100' }) });
        expect(await repo.findByOrder(orderId('o1'))).toEqual(newAssignment({ ...d, code: '100' }));
      });

      it('skips candidates active in the area, in the order given', async () => {
        await create('o1', '111');
        await create('o2', '222');
        const outcome = await repo.insertWithFreshCode(draft('o3'), ['222', '111', '333', '444'], LONG_AGO);
        expect(outcome.kind === 'inserted' && outcome.assignment.code).toBe('333');
      });

      it('allows the same code in another area', async () => {
        await create('o1', '111', SVO);
        const outcome = await repo.insertWithFreshCode(draft('o2', ZENIT), ['111'], LONG_AGO);
        expect(outcome.kind === 'inserted' && outcome.assignment.code).toBe('111');
      });

      it('answers order_exists with the record as it is, whatever the candidates', async () => {
        const first = await create('o1', '111');
        expect(await repo.insertWithFreshCode(draft('o1'), ['222'], LONG_AGO)).toEqual({
          kind: 'order_exists',
          assignment: first,
        });
        expect(await repo.insertWithFreshCode(draft('o1'), ['111'], LONG_AGO)).toEqual({
          kind: 'order_exists',
          assignment: first,
        });
        expect(await repo.insertWithFreshCode(draft('o1', ZENIT), ['333'], LONG_AGO)).toEqual({
          kind: 'order_exists',
          assignment: first,
        });
        expect(await repo.findActiveByCode(SVO, '222')).toBeNull();
      });

      it('answers all_taken when every candidate is active, or none is given', async () => {
        await create('o1', '111');
        await create('o2', '222');
        expect(await repo.insertWithFreshCode(draft('o3'), ['111', '222', '111'], LONG_AGO)).toEqual({ kind: 'all_taken' });
        expect(await repo.insertWithFreshCode(draft('o3'), [], LONG_AGO)).toEqual({ kind: 'all_taken' });
        expect(await repo.findByOrder(orderId('o3'))).toBeNull();
      });

      it('treats a released code as taken until its cooldown cutoff (strictly after)', async () => {
        const a = await create('o1', '111');
        const released = await applied(move(a, { type: 'cancelled', by: 'ordercommit' }, at(60)));
        expect(released.releasedAt).toEqual(at(60));
        expect(await repo.findActiveByCode(SVO, '111')).toBeNull();

        expect(await repo.insertWithFreshCode(draft('o2'), ['111'], at(59))).toEqual({ kind: 'all_taken' });
        const after = await repo.insertWithFreshCode(draft('o2'), ['111'], at(60));
        expect(after.kind === 'inserted' && after.assignment.code).toBe('111');
      });

      it('holds a code with a retryable error, and releases it with a final one', async () => {
        const a = await enter(await create('o1', '111'), D1);
        const failed = await applied(move(a, { type: 'lookup_failed', errorCode: 'driver_busy', by: 'processing' }, at(20)));
        expect(failed.releasedAt).toBeNull();
        expect(await repo.findActiveByCode(SVO, '111')).toEqual(failed);
        expect(await repo.insertWithFreshCode(draft('o2'), ['111'], LONG_AGO)).toEqual({ kind: 'all_taken' });

        const expired = await applied(move(failed, { type: 'expired' }, at(1800)));
        expect(expired.releasedAt).toEqual(at(1800));
        expect(await repo.findActiveByCode(SVO, '111')).toBeNull();
      });

      it('finds the processing record of a driver (park and driver id together)', async () => {
        const a = await enter(await create('o1', '111'), D1);
        expect(await repo.findProcessingByDriver(D1)).toEqual(a);
        expect(await repo.findProcessingByDriver(D2)).toBeNull();
        expect(await repo.findProcessingByDriver(D1_OTHER_PARK)).toBeNull();
        await applied(move(a, { type: 'driver_acquired', by: 'processing' }, at(20)));
        expect(await repo.findProcessingByDriver(D1)).toBeNull();
      });
    });

    describe('applyTransition', () => {
      it('appends each transition to the change log and bumps the version', async () => {
        const created = await create('o1', '111');
        const entered = await enter(created, D1, at(10));
        const failed = await applied(
          move(entered, { type: 'lookup_failed', errorCode: 'driver_not_found_in_tracker', by: 'processing' }, at(20)),
        );
        const again = await enter(failed, D2, at(30));
        const assigned = await applied(move(again, { type: 'driver_acquired', by: 'processing' }, at(40)));

        expect(assigned.version).toBe(5);
        expect(assigned.attempt).toBe(2);
        expect(assigned.driver).toEqual(D2);
        expect(assigned.releasedAt).toEqual(at(40));
        expect(assigned.changes).toEqual([
          { at: T0, from: null, to: 'pending', actor: { kind: 'service', name: 'ordercommit' } },
          { at: at(10), from: 'pending', to: 'processing', actor: { kind: 'driver', driver: D1 } },
          {
            at: at(20),
            from: 'processing',
            to: 'error',
            actor: { kind: 'service', name: 'processing' },
            errorCode: 'driver_not_found_in_tracker',
          },
          { at: at(30), from: 'error', to: 'processing', actor: { kind: 'driver', driver: D2 } },
          { at: at(40), from: 'processing', to: 'assigned', actor: { kind: 'service', name: 'processing' } },
        ]);
        expect(await repo.findByOrder(orderId('o1'))).toEqual(assigned);
      });

      it('keeps the reason of a cancel and a system actor of a sweep', async () => {
        const a = await create('o1', '111');
        const cancelled = await applied(move(a, { type: 'cancelled', by: 'ordercommit', reason: 'passenger left' }, at(5)));
        expect(cancelled.changes[1]).toEqual({
          at: at(5),
          from: 'pending',
          to: 'error',
          actor: { kind: 'service', name: 'ordercommit' },
          errorCode: 'order_cancelled',
          reason: 'passenger left',
        });
        const b = await applied(move(await create('o2', '222'), { type: 'expired' }, at(1800)));
        expect(b.changes[1]).toEqual({
          at: at(1800),
          from: 'pending',
          to: 'error',
          actor: { kind: 'system' },
          errorCode: 'expired',
        });
      });

      it('answers conflict on a stale version, and writes nothing', async () => {
        const a = await create('o1', '111');
        await enter(a, D1);
        // `a` is stale now: computed from version 1.
        expect(await move(a, { type: 'cancelled', by: 'ordercommit' }, at(20))).toEqual({ kind: 'conflict' });
        const now = await repo.findByOrder(orderId('o1'));
        expect(now?.status).toBe('processing');
        expect(now?.version).toBe(2);
        expect(now?.changes).toHaveLength(2);
        expect(await subject.outbox()).toHaveLength(1);
      });

      it('answers conflict for an order that does not exist', async () => {
        const ghost = newAssignment({ ...draft('ghost'), code: '999' });
        expect(await move(ghost, { type: 'cancelled', by: 'ordercommit' }, at(1))).toEqual({ kind: 'conflict' });
        expect(await repo.findByOrder(orderId('ghost'))).toBeNull();
      });

      it('writes the processing event with the transition, and only then', async () => {
        const a = await create('o1', '111');
        expect(await subject.outbox()).toEqual([]);
        const entered = await enter(a, D1, at(10));
        const failed = await applied(
          move(entered, { type: 'lookup_failed', errorCode: 'driver_busy', by: 'processing' }, at(20)),
        );
        await enter(failed, D2, at(30));
        await applied(move(await create('o2', '222'), { type: 'cancelled', by: 'ordercommit' }, at(40)));

        const events = await subject.outbox();
        expect(events.map((e) => e.event)).toEqual([
          { type: 'code_dispatch.code_entered', orderId: 'o1', areaId: SVO, driver: D1, attempt: 1, occurredAt: at(10) },
          { type: 'code_dispatch.code_entered', orderId: 'o1', areaId: SVO, driver: D2, attempt: 2, occurredAt: at(30) },
        ]);
        expect(new Set(events.map((e) => e.eventId)).size).toBe(2);
      });

      it('keeps one processing record per driver: driver_has_processing, nothing written', async () => {
        await enter(await create('o1', '111'), D1);
        const b = await create('o2', '222');
        expect(await move(b, { type: 'code_entered', driver: D1 }, at(20))).toEqual({ kind: 'driver_has_processing' });
        expect(await repo.findByOrder(orderId('o2'))).toEqual(b);
        expect(await subject.outbox()).toHaveLength(1);
        // The same driver id in another park is another driver.
        await enter(b, D1_OTHER_PARK, at(20));
      });

      it('keeps one active record per (area, code): conflict, nothing written', async () => {
        const a = await create('o1', '111');
        const cancelled = await applied(move(a, { type: 'cancelled', by: 'ordercommit' }, at(10)));
        const b = await repo.insertWithFreshCode(draft('o2', SVO, at(20)), ['111'], at(10));
        expect(b.kind).toBe('inserted');
        // Not a transition the core allows: the adapter must refuse it anyway.
        const revived: Assignment = {
          ...cancelled,
          status: 'pending',
          errorCode: null,
          releasedAt: null,
          updatedAt: at(30),
          version: cancelled.version + 1,
        };
        const outcome = await repo.applyTransition({
          expectedVersion: cancelled.version,
          next: revived,
          change: { at: at(30), from: 'error', to: 'pending', actor: { kind: 'system' } },
        });
        expect(outcome).toEqual({ kind: 'conflict' });
        expect(await repo.findByOrder(orderId('o1'))).toEqual(cancelled);
      });
    });

    describe('attempt reservations', () => {
      const entry = (d: Driver, seconds: number, area = SVO) => ({ areaId: area, driver: d, at: at(seconds) });
      const upTo = (maxFailures: number, sinceSeconds = -1) => ({ since: at(sinceSeconds), maxFailures });

      it('reserves up to the limit, then refuses with the counted times, oldest first', async () => {
        for (const s of [30, 10, 20]) expect(await repo.reserveAttempt(entry(D1, s), upTo(3))).toEqual({ kind: 'reserved' });
        expect(await repo.reserveAttempt(entry(D1, 40), upTo(3))).toEqual({
          kind: 'refused',
          failures: [at(10), at(20), at(30)],
        });
        // Only entries strictly after `since` count; a refused entry is not counted.
        expect(await repo.reserveAttempt(entry(D1, 50), upTo(3, 10))).toEqual({ kind: 'reserved' });
        expect(await repo.reserveAttempt(entry(D1, 60), upTo(3, 10))).toEqual({
          kind: 'refused',
          failures: [at(20), at(30), at(50)],
        });
      });

      it('counts per driver (park and driver id) and per area', async () => {
        expect(await repo.reserveAttempt(entry(D1, 0), upTo(1))).toEqual({ kind: 'reserved' });
        expect(await repo.reserveAttempt(entry(D1, 1), upTo(1))).toEqual({ kind: 'refused', failures: [at(0)] });
        expect(await repo.reserveAttempt(entry(D2, 1), upTo(1))).toEqual({ kind: 'reserved' });
        expect(await repo.reserveAttempt(entry(D1_OTHER_PARK, 1), upTo(1))).toEqual({ kind: 'reserved' });
        expect(await repo.reserveAttempt(entry(D1, 1, ZENIT), upTo(1))).toEqual({ kind: 'reserved' });
      });

      it('takes back one reservation of that time, and nothing when there is none', async () => {
        await repo.reserveAttempt(entry(D1, 10), upTo(3));
        await repo.reserveAttempt(entry(D1, 10), upTo(3));
        await repo.releaseAttempt(entry(D1, 10));
        await repo.releaseAttempt(entry(D1, 99));
        await repo.releaseAttempt(entry(D2, 10));
        await repo.reserveAttempt(entry(D1, 20), upTo(3));
        expect(await repo.reserveAttempt(entry(D1, 30), upTo(2))).toEqual({ kind: 'refused', failures: [at(10), at(20)] });
      });

      it('takes the reservation back with a transition that applies, and only then', async () => {
        const a = await create('o1', '111');
        await repo.reserveAttempt(entry(D1, 10), upTo(1));
        const moved = transition(a, { type: 'code_entered', driver: D1 }, at(10));
        if (E.isLeft(moved)) throw new Error('illegal');
        const write = {
          expectedVersion: a.version,
          next: moved.right.assignment,
          change: moved.right.change,
          releasesAttempt: entry(D1, 10),
        };
        expect((await repo.applyTransition(write)).kind).toBe('applied');
        expect(await repo.applyTransition(write)).toEqual({ kind: 'conflict' });
        expect(await repo.reserveAttempt(entry(D1, 20), upTo(1))).toEqual({ kind: 'reserved' });
        // A stale write leaves the new reservation in place.
        expect(await repo.applyTransition({ ...write, releasesAttempt: entry(D1, 20) })).toEqual({ kind: 'conflict' });
        expect(await repo.reserveAttempt(entry(D1, 30), upTo(1))).toEqual({ kind: 'refused', failures: [at(20)] });
      });

      it('reserves exactly the limit of 60 at once, on one instance or two', async () => {
        const other = await subject.another();
        const outcomes = await Promise.all(
          Array.from({ length: 60 }, (_, i) => (i % 2 === 0 ? repo : other).reserveAttempt(entry(D1, 10), upTo(5))),
        );
        expect(outcomes.filter((o) => o.kind === 'reserved')).toHaveLength(5);
        expect(outcomes.filter((o) => o.kind === 'refused')).toHaveLength(55);
      });
    });

    describe('enterCode: an entry in one step', () => {
      /** An entry at `seconds`, limit 3 in the last 600 s, processing timeout 60 s, repeats within 3600 s. */
      const codeEntry = (d: Driver, code: string, seconds: number, maxFailures = 3) => ({
        areaId: SVO,
        driver: d,
        at: at(seconds),
        code,
        limit: { since: at(seconds - 600), maxFailures },
        processingTimedOutAt: at(seconds - 60),
        repeatReleasedAfter: at(seconds - 3600),
      });
      const countedFor = async (d: Driver, seconds: number): Promise<readonly Date[]> => {
        const probe = await repo.reserveAttempt({ areaId: SVO, driver: d, at: at(seconds) }, { since: LONG_AGO, maxFailures: 0 });
        return probe.kind === 'refused' ? probe.failures : [];
      };

      it('moves a pending record to processing exactly as the core transition does, with its event', async () => {
        const a = await create('o1', '111');
        const outcome = await repo.enterCode(codeEntry(D1, '111', 10));
        const expected = transition(a, { type: 'code_entered', driver: D1 }, at(10));
        if (E.isLeft(expected)) throw new Error('illegal');
        expect(outcome).toEqual({ kind: 'entered', assignment: expected.right.assignment });
        expect(await repo.findByOrder(orderId('o1'))).toEqual(expected.right.assignment);
        expect((await subject.outbox()).map((e) => e.event)).toEqual([expected.right.event]);
        expect(await countedFor(D1, 11)).toEqual([]);
      });

      it('starts a new attempt on a retryable error, the same driver or another', async () => {
        const a = await create('o1', '111');
        const entered = await enter(a, D1, at(10));
        const failed = await applied(move(entered, { type: 'lookup_failed', errorCode: 'driver_busy', by: 'p' }, at(20)));
        const outcome = await repo.enterCode(codeEntry(D1, '111', 30));
        const expected = transition(failed, { type: 'code_entered', driver: D1 }, at(30));
        if (E.isLeft(expected)) throw new Error('illegal');
        expect(outcome).toEqual({ kind: 'entered', assignment: expected.right.assignment });
        expect((await subject.outbox()).map((e) => e.event.attempt)).toEqual([1, 2]);
      });

      it('answers a repeat with the record as it is, writes nothing and counts nothing', async () => {
        const a = await enter(await create('o1', '111'), D1, at(10));
        expect(await repo.enterCode(codeEntry(D1, '111', 20))).toEqual({ kind: 'repeated', assignment: a });
        const done = await applied(move(a, { type: 'driver_acquired', by: 'p' }, at(30)));
        expect(await repo.enterCode(codeEntry(D1, '111', 40))).toEqual({ kind: 'repeated', assignment: done });
        expect(await repo.findByOrder(orderId('o1'))).toEqual(done);
        expect(await subject.outbox()).toHaveLength(1);
        expect(await countedFor(D1, 50)).toEqual([]);
        // Past the cooldown, the driver's old code is no repeat.
        expect(await repo.enterCode(codeEntry(D1, '111', 30 + 3601))).toEqual({ kind: 'not_found' });
      });

      it('counts a code nobody holds and a code another driver holds', async () => {
        await enter(await create('o1', '111'), D1, at(10));
        expect(await repo.enterCode(codeEntry(D2, '999', 20))).toEqual({ kind: 'not_found' });
        expect(await repo.enterCode(codeEntry(D2, '111', 21))).toEqual({ kind: 'in_use' });
        expect(await countedFor(D2, 22)).toEqual([at(20), at(21)]);
        expect((await repo.findByOrder(orderId('o1')))?.driver).toEqual(D1);
      });

      it('refuses every entry at the limit, even a correct code, with the counted times', async () => {
        await create('o1', '111');
        for (const s of [1, 2, 3]) expect(await repo.enterCode(codeEntry(D1, '999', s))).toEqual({ kind: 'not_found' });
        expect(await repo.enterCode(codeEntry(D1, '111', 4))).toEqual({ kind: 'refused', failures: [at(1), at(2), at(3)] });
        expect((await repo.findByOrder(orderId('o1')))?.status).toBe('pending');
        // Once the oldest leaves the window, the entry goes through.
        expect((await repo.enterCode(codeEntry(D1, '111', 602))).kind).toBe('entered');
      });

      it('leaves undecided, counted: a due expiry, a due processing timeout, the driver busy elsewhere', async () => {
        await create('o1', '111', SVO, at(0), LONG_AGO); // expires at(1800)
        expect(await repo.enterCode(codeEntry(D1, '111', 1800))).toEqual({ kind: 'undecided' });
        const b = await enter(await create('o2', '222'), D2, at(10));
        expect(await repo.enterCode(codeEntry(D1, '222', 70))).toEqual({ kind: 'undecided' });
        expect(await repo.enterCode(codeEntry(D1, '222', 69))).toEqual({ kind: 'in_use' });
        await enter(await create('o3', '333'), D1, at(20));
        await create('o4', '444');
        expect(await repo.enterCode(codeEntry(D1, '444', 30, 10))).toEqual({ kind: 'undecided' });
        expect(await countedFor(D1, 31)).toEqual([at(30), at(69), at(70), at(1800)]);
        expect(await repo.findByOrder(b.orderId)).toEqual(b);
      });

      it('looks up exactly the limit of 60 parallel wrong guesses, on one instance or two', async () => {
        const other = await subject.another();
        const outcomes = await Promise.all(
          Array.from({ length: 60 }, (_, i) => (i % 2 === 0 ? repo : other).enterCode(codeEntry(D1, `9${i}`, 10, 5))),
        );
        expect(outcomes.filter((o) => o.kind === 'not_found')).toHaveLength(5);
        expect(outcomes.filter((o) => o.kind === 'refused')).toHaveLength(55);
      });

      it('gives one code to one of many drivers entering it at once', async () => {
        await create('o1', '111');
        const other = await subject.another();
        const drivers = Array.from({ length: 20 }, (_, i) => driver('park1', `racer${i}`));
        const outcomes = await Promise.all(
          drivers.map((d, i) => (i % 2 === 0 ? repo : other).enterCode(codeEntry(d, '111', 10))),
        );
        expect(outcomes.filter((o) => o.kind === 'entered')).toHaveLength(1);
        expect(outcomes.every((o) => ['entered', 'in_use', 'lost_race'].includes(o.kind))).toBe(true);
        expect(await subject.outbox()).toHaveLength(1);
      });
    });

    describe('sweeps', () => {
      it('finds pending and retryable-error records whose expiry is not after now, never processing or final ones', async () => {
        const pending = await create('o1', '111', SVO, at(0)); // expires at(1800)
        const failed = await applied(
          move(
            await enter(await create('o2', '222', SVO, at(1)), D1, at(2)),
            { type: 'lookup_failed', errorCode: 'driver_out_of_area', by: 'p' },
            at(3),
          ),
        ); // expires at(1801)
        await enter(await create('o3', '333', SVO, at(0)), D2, at(5)); // processing: never expires
        await applied(move(await create('o4', '444', SVO, at(0)), { type: 'cancelled', by: 'x' }, at(6))); // final
        await create('o5', '555', SVO, at(100)); // expires at(1900)

        expect(await repo.findExpired(at(1799), 10)).toEqual([]);
        expect(await repo.findExpired(at(1800), 10)).toEqual([pending]);
        const both = await repo.findExpired(at(1801), 10);
        expect([...both].sort((x, y) => x.orderId.localeCompare(y.orderId))).toEqual([pending, failed]);
        expect(await repo.findExpired(at(1801), 1)).toHaveLength(1);
      });

      it('finds processing records last updated at or before the cutoff', async () => {
        const p1 = await enter(await create('o1', '111'), D1, at(10));
        const p2 = await enter(await create('o2', '222'), D2, at(20));
        await create('o3', '333');
        await applied(
          move(await enter(await create('o4', '444'), D1_OTHER_PARK, at(5)), { type: 'driver_acquired', by: 'p' }, at(6)),
        );

        expect(await repo.findProcessingSince(at(9), 10)).toEqual([]);
        expect(await repo.findProcessingSince(at(10), 10)).toEqual([p1]);
        const both = await repo.findProcessingSince(at(20), 10);
        expect([...both].sort((x, y) => x.orderId.localeCompare(y.orderId))).toEqual([p1, p2]);
        expect(await repo.findProcessingSince(at(20), 1)).toHaveLength(1);
      });
    });

    describe('completed codes', () => {
      it('finds the newest assignment of this code completed by this driver, released strictly after the cutoff', async () => {
        const first = await applied(
          move(await enter(await create('o1', '111'), D1, at(10)), { type: 'driver_acquired', by: 'p' }, at(20)),
        );
        const second = await applied(
          move(
            await enter(await create('o2', '111', SVO, at(30), at(20)), D1, at(40)),
            { type: 'driver_acquired', by: 'p' },
            at(50),
          ),
        );
        await applied(move(await enter(await create('o3', '222'), D2, at(10)), { type: 'driver_acquired', by: 'p' }, at(20)));

        expect(await repo.findAssignedByCodeAndDriver(SVO, '111', D1, at(0))).toEqual(second);
        expect(await repo.findAssignedByCodeAndDriver(SVO, '111', D1, at(49))).toEqual(second);
        expect(await repo.findAssignedByCodeAndDriver(SVO, '111', D1, at(50))).toBeNull();
        expect(await repo.findAssignedByCodeAndDriver(SVO, '111', D2, at(0))).toBeNull();
        expect(await repo.findAssignedByCodeAndDriver(SVO, '111', D1_OTHER_PARK, at(0))).toBeNull();
        expect(await repo.findAssignedByCodeAndDriver(ZENIT, '111', D1, at(0))).toBeNull();
        expect(first.status).toBe('assigned');
      });

      it('ignores a cancelled code even if the driver had entered it', async () => {
        await applied(move(await enter(await create('o1', '111'), D1, at(10)), { type: 'cancelled', by: 'x' }, at(20)));
        expect(await repo.findAssignedByCodeAndDriver(SVO, '111', D1, at(0))).toBeNull();
      });
    });

    describe('code space', () => {
      it('counts distinct codes of that length, active or cooling down, in the area', async () => {
        await create('o1', '111');
        await create('o2', '2222');
        await applied(move(await create('o3', '333'), { type: 'cancelled', by: 'x' }, at(10)));
        await applied(move(await create('o4', '444'), { type: 'cancelled', by: 'x' }, at(20)));
        // 333 again, active, while the old one cools down: counted once.
        await create('o5', '333', SVO, at(30), at(10));
        await create('o6', '555', ZENIT);

        expect(await repo.countTakenCodes(SVO, 3, at(0))).toBe(3); // 111, 333, 444
        expect(await repo.countTakenCodes(SVO, 3, at(10))).toBe(3); // 111, 333 (active), 444
        expect(await repo.countTakenCodes(SVO, 3, at(20))).toBe(2); // 111, 333
        expect(await repo.countTakenCodes(SVO, 4, at(0))).toBe(1);
        expect(await repo.countTakenCodes(ZENIT, 3, at(0))).toBe(1);
        expect(await repo.countTakenCodes(areaId('nowhere'), 3, at(0))).toBe(0);
      });
    });

    describe('the attempt limit under parallel entries (SPEC §6, brute force)', () => {
      const LIMITED = testConfig({ areas: [areaSettings(SVO, { maxFailedAttempts: 5, attemptsWindowS: 600 })] });
      /** Valid codes of the default format that no order holds. */
      const wrongCodes = (n: number): string[] => Array.from({ length: n }, (_, i) => codeAt(DEFAULT_GENERATOR, 40_000 + i * 11));

      const dispatchOn = (repository: AssignmentRepository, clock: FixedClock) =>
        createUseCases({
          repository,
          tracker: new InMemoryDriverTracker(),
          experiments: new FixedExperiments(true),
          clock,
          random: new SeededCodeRandom(3),
          config: new StaticConfigSource(LIMITED),
        });

      const tally = (results: readonly E.Either<{ readonly code: string }, unknown>[]): Record<string, number> => {
        const counts: Record<string, number> = {};
        for (const r of results) {
          const key = E.isLeft(r) ? r.left.code : 'ok';
          counts[key] = (counts[key] ?? 0) + 1;
        }
        return counts;
      };

      it('answers exactly max_failed_attempts of 60 parallel wrong guesses with code_not_found, the rest 429', async () => {
        const clock = new FixedClock(T0);
        const dispatch = dispatchOn(repo, clock);
        const results = await Promise.all(
          wrongCodes(60).map((code) => dispatch.enterCode.execute({ areaId: SVO, typedCode: code, driver: D1 })()),
        );
        expect(tally(results)).toEqual({ code_not_found: 5, too_many_attempts: 55 });

        // The driver is blocked even for a correct code; another driver is not.
        const order = await dispatch.createOrder.execute({ orderId: orderId('o1'), areaId: SVO, userId: null, service: 's' })();
        const code = E.isRight(order) ? order.right.code : '';
        expect(tally([await dispatch.enterCode.execute({ areaId: SVO, typedCode: code, driver: D1 })()])).toEqual({
          too_many_attempts: 1,
        });
        expect(tally([await dispatch.enterCode.execute({ areaId: SVO, typedCode: code, driver: D2 })()])).toEqual({ ok: 1 });
      });

      it('holds across two instances: 60 wrong guesses split between them, 5 looked up', async () => {
        const clock = new FixedClock(T0);
        const instances = [dispatchOn(repo, clock), dispatchOn(await subject.another(), clock)];
        const results = await Promise.all(
          wrongCodes(60).map((code, i) =>
            (instances[i % 2] as (typeof instances)[number]).enterCode.execute({ areaId: SVO, typedCode: code, driver: D1 })(),
          ),
        );
        expect(tally(results)).toEqual({ code_not_found: 5, too_many_attempts: 55 });
      });

      it('does not count an entry that succeeded, nor one that was repeated', async () => {
        const clock = new FixedClock(T0);
        const dispatch = dispatchOn(repo, clock);
        const order = await dispatch.createOrder.execute({ orderId: orderId('o1'), areaId: SVO, userId: null, service: 's' })();
        const code = E.isRight(order) ? order.right.code : '';
        const entries = [];
        for (let i = 0; i < 10; i++)
          entries.push(await dispatch.enterCode.execute({ areaId: SVO, typedCode: code, driver: D1 })());
        expect(tally(entries)).toEqual({ ok: 10 });
        const results = await Promise.all(
          wrongCodes(6).map((c) => dispatch.enterCode.execute({ areaId: SVO, typedCode: c, driver: D1 })()),
        );
        expect(tally(results)).toEqual({ code_not_found: 5, too_many_attempts: 1 });
      });
    });

    describe('legacy codes', () => {
      const legacy = (
        id: string,
        code: string,
        status: Assignment['status'],
        errorCode: Assignment['errorCode'],
        area = SVO,
      ): Assignment => {
        const base = newAssignment({ ...draft(id, area), code });
        const final = status === 'assigned' || errorCode === 'expired' || errorCode === 'order_cancelled';
        return {
          ...base,
          status,
          errorCode,
          driver: status === 'pending' ? null : D1,
          userId: null,
          releasedAt: final ? T0 : null,
          legacy: true,
          attempt: status === 'pending' ? 0 : 1,
          changes: [
            {
              at: T0,
              from: null,
              to: status,
              actor: { kind: 'system' },
              ...(errorCode !== null ? { errorCode } : {}),
              reason: 'imported',
            },
          ],
        };
      };

      it('tells whether an area holds an active legacy code, and finds it as written', async () => {
        expect(await repo.hasActiveLegacyCodes(SVO)).toBe(false);
        await create('o1', '111');
        expect(await repo.hasActiveLegacyCodes(SVO)).toBe(false);
        await subject.seed([legacy('L1', 'AB12', 'assigned', null), legacy('L2', '77', 'error', 'expired')]);
        expect(await repo.hasActiveLegacyCodes(SVO)).toBe(false);

        const held = legacy('L3', 'X-9', 'error', 'driver_busy', ZENIT);
        await subject.seed([held]);
        expect(await repo.hasActiveLegacyCodes(ZENIT)).toBe(true);
        expect(await repo.hasActiveLegacyCodes(SVO)).toBe(false);
        expect(await repo.findActiveByCode(ZENIT, 'X-9')).toEqual(held);
        expect(await repo.findByOrder(orderId('L3'))).toEqual(held);

        const moved = await applied(move(held, { type: 'expired' }, at(1800)));
        expect(moved.legacy).toBe(true);
        expect(await repo.hasActiveLegacyCodes(ZENIT)).toBe(false);
      });

      it('keeps an active legacy code from being issued again', async () => {
        await subject.seed([legacy('L1', '111', 'pending', null)]);
        const outcome = await repo.insertWithFreshCode(draft('o1'), ['111', '222'], LONG_AGO);
        expect(outcome.kind === 'inserted' && outcome.assignment.code).toBe('222');
      });
    });
  });
};
