import * as E from 'fp-ts/Either';
import { isActive, type Assignment, type AssignmentErrorCode, type Status } from './assignment';
import { areaId, driver, orderId } from './ids';
import { newAssignment, transition, type AssignmentEvent } from './transition';

const t0 = new Date('2026-11-26T10:00:00.000Z');
const later = (s: number): Date => new Date(t0.getTime() + s * 1000);
const anna = driver('park1', 'anna');
const boris = driver('park1', 'boris');

const created = newAssignment({
  orderId: orderId('o1'),
  areaId: areaId('svo_d'),
  code: '482917',
  userId: null,
  createdAt: t0,
  expiresAt: later(1800),
  actor: { kind: 'service', name: 'ordercommit' },
});

/** A record in the given state, reached through legal transitions only. */
const inState = (status: Status, errorCode: AssignmentErrorCode | null = null): Assignment => {
  const steps: AssignmentEvent[] = [];
  if (status !== 'pending') steps.push({ type: 'code_entered', driver: anna });
  if (status === 'assigned') steps.push({ type: 'driver_acquired', by: 'processing' });
  if (status === 'error') {
    if (errorCode === 'order_cancelled') steps.push({ type: 'cancelled', by: 'ordercommit' });
    else if (errorCode === 'processing_timeout') steps.push({ type: 'processing_timed_out' });
    else if (errorCode === 'expired')
      steps.push({ type: 'lookup_failed', errorCode: 'driver_busy', by: 'processing' }, { type: 'expired' });
    else if (errorCode !== null) steps.push({ type: 'lookup_failed', errorCode, by: 'processing' });
  }
  return steps.reduce((a, event) => {
    const at = event.type === 'expired' ? later(1800) : later(1);
    const moved = transition(a, event, at);
    if (E.isLeft(moved)) throw new Error(`fixture: ${JSON.stringify(moved.left)}`);
    return moved.right.assignment;
  }, created);
};

describe('create', () => {
  it('starts pending, with the creation logged from null', () => {
    expect(created.status).toBe('pending');
    expect(created.changes).toEqual([{ at: t0, from: null, to: 'pending', actor: { kind: 'service', name: 'ordercommit' } }]);
    expect(isActive(created)).toBe(true);
  });
});

// One row per line of the SPEC §4 table: given a state, when an event happens, then the new state.
const legal: ReadonlyArray<[string, Assignment, AssignmentEvent, Date, Status, AssignmentErrorCode | null]> = [
  [
    'pending + code entered → processing',
    inState('pending'),
    { type: 'code_entered', driver: boris },
    later(10),
    'processing',
    null,
  ],
  [
    'processing + acquired → assigned',
    inState('processing'),
    { type: 'driver_acquired', by: 'processing' },
    later(10),
    'assigned',
    null,
  ],
  [
    'processing + not found → error',
    inState('processing'),
    { type: 'lookup_failed', errorCode: 'driver_not_found_in_tracker', by: 'processing' },
    later(10),
    'error',
    'driver_not_found_in_tracker',
  ],
  [
    'processing + busy → error',
    inState('processing'),
    { type: 'lookup_failed', errorCode: 'driver_busy', by: 'processing' },
    later(10),
    'error',
    'driver_busy',
  ],
  [
    'processing + out of area → error',
    inState('processing'),
    { type: 'lookup_failed', errorCode: 'driver_out_of_area', by: 'processing' },
    later(10),
    'error',
    'driver_out_of_area',
  ],
  [
    'processing + timeout → error(processing_timeout)',
    inState('processing'),
    { type: 'processing_timed_out' },
    later(100),
    'error',
    'processing_timeout',
  ],
  [
    'retryable error + same driver → processing',
    inState('error', 'driver_busy'),
    { type: 'code_entered', driver: anna },
    later(10),
    'processing',
    null,
  ],
  [
    'retryable error + another driver → processing',
    inState('error', 'processing_timeout'),
    { type: 'code_entered', driver: boris },
    later(10),
    'processing',
    null,
  ],
  [
    'pending + cancel → error(order_cancelled)',
    inState('pending'),
    { type: 'cancelled', by: 'ordercommit' },
    later(10),
    'error',
    'order_cancelled',
  ],
  [
    'processing + cancel → error(order_cancelled)',
    inState('processing'),
    { type: 'cancelled', by: 'ordercommit' },
    later(10),
    'error',
    'order_cancelled',
  ],
  [
    'retryable error + cancel → error(order_cancelled)',
    inState('error', 'driver_out_of_area'),
    { type: 'cancelled', by: 'ordercommit' },
    later(10),
    'error',
    'order_cancelled',
  ],
  ['pending + expiry → error(expired)', inState('pending'), { type: 'expired' }, later(1800), 'error', 'expired'],
  [
    'retryable error + expiry → error(expired)',
    inState('error', 'driver_not_found_in_tracker'),
    { type: 'expired' },
    later(1801),
    'error',
    'expired',
  ],
];

describe.each(legal)('%s', (_name, given, when, at, status, errorCode) => {
  const moved = transition(given, when, at);

  it('moves to the new state', () => {
    expect(E.isRight(moved)).toBe(true);
    if (E.isLeft(moved)) return;
    expect(moved.right.assignment.status).toBe(status);
    expect(moved.right.assignment.errorCode).toBe(errorCode);
    expect(moved.right.assignment.updatedAt).toEqual(at);
    expect(moved.right.assignment.version).toBe(given.version + 1);
  });

  it('appends exactly one change-log entry recording the move', () => {
    if (E.isLeft(moved)) throw new Error('illegal');
    const { assignment, change } = moved.right;
    expect(assignment.changes).toHaveLength(given.changes.length + 1);
    expect(assignment.changes.at(-1)).toEqual(change);
    expect(change).toMatchObject({ at, from: given.status, to: status });
    expect(change.errorCode ?? null).toBe(errorCode);
  });

  it('releases the code exactly when the new state is final', () => {
    if (E.isLeft(moved)) throw new Error('illegal');
    const a = moved.right.assignment;
    expect(a.releasedAt).toEqual(isActive(a) ? null : at);
  });
});

describe('entering a code', () => {
  it('records the driver, counts the attempt and emits the processing event', () => {
    const retry = inState('error', 'driver_busy');
    const moved = transition(retry, { type: 'code_entered', driver: boris }, later(20));
    if (E.isLeft(moved)) throw new Error('illegal');
    expect(moved.right.assignment.driver).toEqual(boris);
    expect(moved.right.assignment.attempt).toBe(2);
    expect(moved.right.change.actor).toEqual({ kind: 'driver', driver: boris });
    expect(moved.right.event).toEqual({
      type: 'code_dispatch.code_entered',
      orderId: 'o1',
      areaId: 'svo_d',
      driver: boris,
      attempt: 2,
      occurredAt: later(20),
    });
  });

  it('keeps the failed attempt in the log', () => {
    const moved = transition(inState('error', 'driver_busy'), { type: 'code_entered', driver: boris }, later(20));
    if (E.isLeft(moved)) throw new Error('illegal');
    expect(moved.right.assignment.changes.map((c) => [c.from, c.to, c.errorCode])).toEqual([
      [null, 'pending', undefined],
      ['pending', 'processing', undefined],
      ['processing', 'error', 'driver_busy'],
      ['error', 'processing', undefined],
    ]);
  });

  it('emits no event for other moves', () => {
    const moved = transition(inState('processing'), { type: 'driver_acquired', by: 'processing' }, later(5));
    expect(E.isRight(moved) && moved.right.event).toBeUndefined();
  });

  it('keeps the cancel reason and the actor', () => {
    const moved = transition(inState('pending'), { type: 'cancelled', by: 'ordercommit', reason: 'passenger left' }, later(5));
    if (E.isLeft(moved)) throw new Error('illegal');
    expect(moved.right.change).toMatchObject({ reason: 'passenger left', actor: { kind: 'service', name: 'ordercommit' } });
  });

  it('logs sweeps as the system', () => {
    const moved = transition(inState('pending'), { type: 'expired' }, later(1800));
    expect(E.isRight(moved) && moved.right.change.actor).toEqual({ kind: 'system' });
  });
});

// Every move the table does not list is a typed error, never a silent write.
const illegal: ReadonlyArray<[string, Assignment, AssignmentEvent, Date]> = [
  ['pending + acquired', inState('pending'), { type: 'driver_acquired', by: 'p' }, later(5)],
  ['pending + lookup failed', inState('pending'), { type: 'lookup_failed', errorCode: 'driver_busy', by: 'p' }, later(5)],
  ['pending + timeout', inState('pending'), { type: 'processing_timed_out' }, later(100)],
  ['pending + expiry before expires_at', inState('pending'), { type: 'expired' }, later(1799)],
  ['pending + code entered after expires_at', inState('pending'), { type: 'code_entered', driver: anna }, later(1800)],
  ['processing + code entered', inState('processing'), { type: 'code_entered', driver: boris }, later(5)],
  ['processing + expiry (processing never expires)', inState('processing'), { type: 'expired' }, later(5000)],
  ['retryable error + acquired', inState('error', 'driver_busy'), { type: 'driver_acquired', by: 'p' }, later(5)],
  [
    'retryable error + lookup failed',
    inState('error', 'driver_busy'),
    { type: 'lookup_failed', errorCode: 'driver_busy', by: 'p' },
    later(5),
  ],
  ['retryable error + timeout', inState('error', 'driver_busy'), { type: 'processing_timed_out' }, later(5)],
  ...(['code_entered', 'driver_acquired', 'lookup_failed', 'processing_timed_out', 'cancelled', 'expired'] as const).flatMap(
    (type): [string, Assignment, AssignmentEvent, Date][] => {
      const event: AssignmentEvent =
        type === 'code_entered'
          ? { type, driver: boris }
          : type === 'lookup_failed'
            ? { type, errorCode: 'driver_busy', by: 'p' }
            : type === 'driver_acquired' || type === 'cancelled'
              ? { type, by: 'p' }
              : { type };
      return [
        [`assigned + ${type}`, inState('assigned'), event, later(5000)],
        [`cancelled + ${type}`, inState('error', 'order_cancelled'), event, later(5000)],
        [`expired + ${type}`, inState('error', 'expired'), event, later(5000)],
      ];
    },
  ),
];

describe.each(illegal)('illegal: %s', (_name, given, when, at) => {
  it('is refused with illegal_transition and nothing changes', () => {
    const before = JSON.stringify(given);
    expect(transition(given, when, at)).toEqual(
      E.left({ code: 'illegal_transition', from: given.status, errorCode: given.errorCode, event: when.type }),
    );
    expect(JSON.stringify(given)).toBe(before);
  });
});
