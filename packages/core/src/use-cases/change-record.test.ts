import * as E from 'fp-ts/Either';
import type { Assignment } from '../domain/assignment';
import { areaId, driver, orderId } from '../domain/ids';
import { newAssignment, transition } from '../domain/transition';
import type { AttemptEntry, TransitionWrite } from '../ports';
import { FixedClock, InMemoryAssignmentRepository, StaticConfigSource, testConfig } from '../testing';
import {
  changeOrder,
  changeRecord,
  MAX_CONFLICT_RETRIES,
  settleReporting,
  type Decision,
  type RecordChange,
  type Round,
} from './change-record';

/*
 * The one "read, settle, decide, write, retry on conflict" helper, against
 * the in-memory repository with a compare-and-set that can be made to lose.
 */

const anna = driver('park1', 'anna');

const setup = () => {
  const repository = new InMemoryAssignmentRepository();
  const clock = new FixedClock();
  const ports = { repository, config: new StaticConfigSource(testConfig()), clock };

  /** A pending order in svo_d, expiring after 1800 s. */
  const pending = (id: string, code: string): Assignment => {
    const record = newAssignment({
      orderId: orderId(id),
      areaId: areaId('svo_d'),
      code,
      userId: null,
      createdAt: clock.now(),
      expiresAt: new Date(clock.now().getTime() + 1800 * 1000),
      actor: { kind: 'service', name: 's' },
    });
    repository.seed(record);
    return record;
  };

  /** Every write the repository is asked for; the first `lost` of them lose the compare-and-set. */
  const losing = (lost: number): TransitionWrite[] => {
    const apply = repository.applyTransition.bind(repository);
    const writes: TransitionWrite[] = [];
    repository.applyTransition = async (write) => {
      writes.push(write);
      return writes.length <= lost ? { kind: 'conflict' } : apply(write);
    };
    return writes;
  };

  return { repository, clock, ports, pending, losing };
};

const cancel = (): Decision<Assignment> => ({ kind: 'move', event: { type: 'cancelled', by: 's' }, answer: (moved) => moved });

const errorCode = (r: E.Either<{ code: string }, unknown>): string | undefined => (E.isLeft(r) ? r.left.code : undefined);

describe('changeRecord', () => {
  it.each([1, 3, MAX_CONFLICT_RETRIES - 1])(
    'applies the move after losing %i writes, deciding afresh each round',
    async (lost) => {
      const { repository, ports, pending, losing } = setup();
      pending('o1', '123456');
      const writes = losing(lost);
      let decisions = 0;
      const result = await changeOrder(ports, orderId('o1'), () => {
        decisions++;
        return cancel();
      });
      expect(E.isRight(result) && result.right.errorCode).toBe('order_cancelled');
      expect(writes).toHaveLength(lost + 1);
      expect(decisions).toBe(lost + 1);
      expect((await repository.findByOrder(orderId('o1')))?.version).toBe(2);
    },
  );

  it('answers storage_unavailable naming the record once every round lost its write, and writes nothing', async () => {
    const { repository, ports, pending, losing } = setup();
    pending('o1', '123456');
    const writes = losing(Infinity);
    const result = await changeOrder(ports, orderId('o1'), cancel);
    expect(errorCode(result)).toBe('storage_unavailable');
    expect(E.isLeft(result) && result.left.code === 'storage_unavailable' && String(result.left.cause)).toContain(
      `order o1 kept changing: ${MAX_CONFLICT_RETRIES} writes lost`,
    );
    expect(writes).toHaveLength(MAX_CONFLICT_RETRIES);
    expect((await repository.findByOrder(orderId('o1')))?.status).toBe('pending');
  });

  it('decides on what the winner wrote: a lost cancel that finds the order cancelled answers it as it is', async () => {
    const { repository, ports, pending } = setup();
    pending('o1', '123456');
    const apply = repository.applyTransition.bind(repository);
    let writes = 0;
    repository.applyTransition = async (write) => {
      // Another instance's cancel lands between this read and this write.
      if (++writes === 1) {
        await apply(write);
        return { kind: 'conflict' };
      }
      return apply(write);
    };
    const seen: string[] = [];
    const result = await changeOrder(ports, orderId('o1'), (a) => {
      seen.push(a.status);
      return a.status === 'pending' ? cancel() : { kind: 'answer', result: E.right(a) };
    });
    expect(seen).toEqual(['pending', 'error']);
    expect(writes).toBe(1);
    expect(E.isRight(result) && result.right.version).toBe(2);
  });

  it('answers illegal_transition for a move the state machine refuses, without writing', async () => {
    const { ports, pending, losing } = setup();
    pending('o1', '123456');
    const writes = losing(0);
    const result = await changeOrder(ports, orderId('o1'), () => ({
      kind: 'move',
      event: { type: 'driver_acquired', by: 'processing' },
      answer: (moved) => moved,
    }));
    expect(result).toEqual(E.left({ code: 'illegal_transition', from: 'pending', event: 'driver_acquired' }));
    expect(writes).toHaveLength(0);
  });

  it('answers what `missing` says when there is no record, without deciding', async () => {
    const { ports } = setup();
    let decisions = 0;
    const result = await changeRecord(ports, {
      name: 'code 123456 in svo_d',
      read: async () => null,
      missing: () => E.left({ code: 'code_not_found' }),
      decide: () => {
        decisions++;
        return cancel();
      },
    });
    expect(errorCode(result)).toBe('code_not_found');
    expect(decisions).toBe(0);
    expect(errorCode(await changeOrder(ports, orderId('nobody'), cancel))).toBe('assignment_not_found');
  });

  it('settles a due expiry before deciding, and tells the decision this call made it', async () => {
    const { clock, ports, pending, losing } = setup();
    pending('o1', '123456');
    clock.advanceSeconds(1800);
    const writes = losing(0);
    const rounds: { status: string; errorCode: string | null; settled: boolean }[] = [];
    const result = await changeOrder(ports, orderId('o1'), (a, round: Round) => {
      rounds.push({ status: a.status, errorCode: a.errorCode, settled: round.settled });
      return { kind: 'answer', result: E.right(a) };
    });
    expect(rounds).toEqual([{ status: 'error', errorCode: 'expired', settled: true }]);
    expect(writes.map((w) => w.change.to)).toEqual(['error']);
    expect(E.isRight(result) && result.right.version).toBe(2);
  });

  it('reads again when the settling write is lost; an expiry another writer made is not this call’s', async () => {
    const { repository, clock, ports, pending } = setup();
    const record = pending('o1', '123456');
    clock.advanceSeconds(1800);
    const apply = repository.applyTransition.bind(repository);
    let writes = 0;
    repository.applyTransition = async (write) => {
      writes++;
      // Another sweep expires the order first.
      await apply(write);
      return { kind: 'conflict' };
    };
    const settled = await settleReporting(ports, record);
    expect(E.isRight(settled) && settled.right.moved).toBe(false);
    expect(E.isRight(settled) && settled.right.assignment.errorCode).toBe('expired');
    expect(writes).toBe(1);
  });

  it('writes the transition’s outbox event and takes the attempt reservation back with the move', async () => {
    const { repository, clock, ports, pending, losing } = setup();
    pending('o1', '123456');
    const entry: AttemptEntry = { areaId: areaId('svo_d'), driver: anna, at: clock.now() };
    const limit = { since: new Date(0), maxFailures: 1 };
    expect((await repository.reserveAttempt(entry, limit)).kind).toBe('reserved');
    const writes = losing(0);
    const result = await changeOrder(ports, orderId('o1'), () => ({
      kind: 'move',
      event: { type: 'code_entered', driver: anna },
      answer: (moved) => moved,
      releasesAttempt: entry,
    }));
    expect(E.isRight(result) && result.right.status).toBe('processing');
    expect(writes[0]?.releasesAttempt).toEqual(entry);
    expect(repository.events.map((e) => [e.type, e.orderId, e.attempt])).toEqual([['code_dispatch.code_entered', 'o1', 1]]);
    // The reservation was taken back: the limit of one has room again.
    expect((await repository.reserveAttempt(entry, limit)).kind).toBe('reserved');
  });

  describe('when the driver has another record in processing', () => {
    /** o1 pending, o2 in processing with anna; the change moves o1 to processing with anna. */
    const busyDriver = async () => {
      const s = setup();
      s.pending('o1', '123456');
      const other = s.pending('o2', '654321');
      const entered = transition(other, { type: 'code_entered', driver: anna }, s.clock.now());
      if (E.isLeft(entered)) throw new Error(entered.left.code);
      await s.repository.applyTransition({ expectedVersion: 1, next: entered.right.assignment, change: entered.right.change });
      const enter = (driverHasProcessing?: RecordChange<Assignment>['driverHasProcessing']) =>
        changeRecord(s.ports, {
          name: 'order o1',
          read: () => s.repository.findByOrder(orderId('o1')),
          missing: () => E.left({ code: 'assignment_not_found' }),
          decide: () => ({ kind: 'move', event: { type: 'code_entered', driver: anna }, answer: (moved) => moved }),
          ...(driverHasProcessing ? { driverHasProcessing } : {}),
        });
      return { ...s, enter };
    };

    it('answers what the hook answers, and leaves the record as it was', async () => {
      const { repository, enter } = await busyDriver();
      const seen: string[] = [];
      const result = await enter(async (record) => {
        seen.push(record.orderId);
        return E.left({ code: 'code_not_found' });
      });
      expect(errorCode(result)).toBe('code_not_found');
      expect(seen).toEqual(['o1']);
      expect((await repository.findByOrder(orderId('o1')))?.status).toBe('pending');
    });

    it('reads and decides again when the hook asks for another round', async () => {
      const { repository, ports, enter } = await busyDriver();
      let calls = 0;
      const result = await enter(async () => {
        calls++;
        // The other record ends meanwhile (e.g. cancelled), so the next round's move is accepted.
        await changeOrder(ports, orderId('o2'), cancel);
        return 'again';
      });
      expect(calls).toBe(1);
      expect(E.isRight(result) && result.right.status).toBe('processing');
      expect((await repository.findByOrder(orderId('o1')))?.driver).toEqual(anna);
    });

    it('counts the refusal as a lost write without a hook', async () => {
      const { enter } = await busyDriver();
      const result = await enter();
      expect(E.isLeft(result) && result.left.code === 'storage_unavailable' && String(result.left.cause)).toContain(
        `order o1 kept changing: ${MAX_CONFLICT_RETRIES} writes lost`,
      );
    });
  });
});
