import * as E from 'fp-ts/Either';
import { driverView } from './driver-view';
import { areaId, driver, orderId } from './ids';
import { newAssignment, transition, type AssignmentEvent } from './transition';

const t0 = new Date('2026-11-26T10:00:00.000Z');
const at = (s: number): Date => new Date(t0.getTime() + s * 1000);
const anna = driver('park1', 'anna');
const boris = driver('park2', 'boris');
const clara = driver('park1', 'clara');

const run = (...events: AssignmentEvent[]) =>
  events.reduce(
    (a, event, i) => {
      const moved = transition(a, event, at(i + 1));
      if (E.isLeft(moved)) throw new Error(JSON.stringify(moved.left));
      return moved.right.assignment;
    },
    newAssignment({
      orderId: orderId('o1'),
      areaId: areaId('a'),
      code: '1234',
      userId: null,
      createdAt: t0,
      expiresAt: at(1800),
      actor: { kind: 'system' },
    }),
  );

describe('driverView', () => {
  it('shows the current driver the assignment as it is', () => {
    const a = run({ type: 'code_entered', driver: anna });
    expect(driverView(a, anna)).toEqual({ kind: 'current', status: 'processing', errorCode: null, updatedAt: at(1) });
  });

  it('shows nothing to a driver who never entered the code', () => {
    expect(driverView(run({ type: 'code_entered', driver: anna }), clara)).toEqual({ kind: 'none' });
    expect(driverView(run(), anna)).toEqual({ kind: 'none' });
  });

  it('keeps showing an earlier driver the failure of his own attempt, whatever happens next', () => {
    const a = run(
      { type: 'code_entered', driver: anna },
      { type: 'lookup_failed', errorCode: 'driver_busy', by: 'p' },
      { type: 'code_entered', driver: boris },
      { type: 'driver_acquired', by: 'p' },
    );
    expect(driverView(a, anna)).toEqual({ kind: 'earlier_attempt', status: 'error', errorCode: 'driver_busy', updatedAt: at(2) });
    expect(driverView(a, boris)).toMatchObject({ kind: 'current', status: 'assigned' });
  });

  it('reports the latest of several failed attempts of the same driver', () => {
    const a = run(
      { type: 'code_entered', driver: anna },
      { type: 'lookup_failed', errorCode: 'driver_busy', by: 'p' },
      { type: 'code_entered', driver: anna },
      { type: 'processing_timed_out' },
      { type: 'code_entered', driver: boris },
    );
    expect(driverView(a, anna)).toMatchObject({ kind: 'earlier_attempt', errorCode: 'processing_timeout', updatedAt: at(4) });
  });

  it.each([
    ['the order expires', { type: 'expired' } as AssignmentEvent],
    ['the order is cancelled', { type: 'cancelled', by: 'ordercommit' } as AssignmentEvent],
  ])('keeps showing the last driver his own failure when %s afterwards', (_, after) => {
    const failed = run(
      { type: 'code_entered', driver: anna },
      { type: 'lookup_failed', errorCode: 'driver_not_found_in_tracker', by: 'p' },
    );
    const moved = transition(failed, after, at(1801));
    if (E.isLeft(moved)) throw new Error(JSON.stringify(moved.left));
    const a = moved.right.assignment;
    expect(a.errorCode).not.toBe('driver_not_found_in_tracker');
    expect(driverView(a, anna)).toEqual({
      kind: 'earlier_attempt',
      status: 'error',
      errorCode: 'driver_not_found_in_tracker',
      updatedAt: at(2),
    });
  });

  it('shows the driver the current state again once he enters the code anew', () => {
    const a = run(
      { type: 'code_entered', driver: anna },
      { type: 'lookup_failed', errorCode: 'driver_busy', by: 'p' },
      { type: 'code_entered', driver: anna },
      { type: 'driver_acquired', by: 'p' },
    );
    expect(driverView(a, anna)).toEqual({ kind: 'current', status: 'assigned', errorCode: null, updatedAt: at(4) });
  });

  it('shows the driver in processing a cancellation as the end of his attempt', () => {
    const a = run({ type: 'code_entered', driver: anna }, { type: 'cancelled', by: 'ordercommit' });
    expect(driverView(a, anna)).toMatchObject({ kind: 'current', status: 'error', errorCode: 'order_cancelled' });
  });

  it('does not confuse drivers with the same driver_id in different parks', () => {
    const a = run({ type: 'code_entered', driver: anna });
    expect(driverView(a, driver('park2', 'anna'))).toEqual({ kind: 'none' });
  });
});
