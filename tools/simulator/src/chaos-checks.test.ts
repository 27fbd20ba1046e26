import {
  changeLogViolations,
  eventViolations,
  passengerViolations,
  RECOVERY_SLACK_MS,
  requestViolations,
  uniquenessViolations,
  type AssignmentFact,
  type DatabaseFacts,
  type OutboxFact,
} from './chaos-checks';
import type { FaultWindow } from './chaos-faults';
import type { PassengerRecord, ReceivedEvent, RequestRecord } from './records';

const assigned = (orderId: string, overrides: Partial<AssignmentFact> = {}): AssignmentFact => ({
  orderId,
  areaId: 'a1',
  code: `code-${orderId}`,
  status: 'assigned',
  errorCode: null,
  parkDbId: 'p',
  driverId: `d-${orderId}`,
  version: 3,
  changes: [
    { from: null, to: 'pending' },
    { from: 'pending', to: 'processing' },
    { from: 'processing', to: 'assigned' },
  ],
  ...overrides,
});

const event = (orderId: string, overrides: Partial<OutboxFact> = {}): OutboxFact => ({
  eventId: `e-${orderId}`,
  orderId,
  type: 'code_dispatch.code_entered',
  delivered: true,
  dead: false,
  attempts: 1,
  lastError: null,
  ...overrides,
});

const received = (orderId: string, eventId = `e-${orderId}`): ReceivedEvent => ({
  eventId,
  orderId,
  areaId: 'a1',
  attempt: 1,
  parkDbId: 'p',
  driverId: `d-${orderId}`,
  deliveries: 1,
  firstAt: 0,
  lastAt: 0,
  lookup: 'assigned',
});

const request = (overrides: Partial<RequestRecord>): RequestRecord => ({
  at: 1_000,
  actor: 'driver',
  method: 'POST',
  route: '/v1/order/assign',
  instance: 'http://i1',
  outcome: 'answered',
  status: 200,
  errorCode: null,
  latencyMs: 5,
  deadlineMs: 5_000,
  orderId: 'o1',
  ...overrides,
});

const checks = (violations: readonly { check: string }[]): string[] => violations.map((v) => v.check);

describe('the chaos checks', () => {
  const clean: DatabaseFacts = { assignments: [assigned('o1'), assigned('o2')], outbox: [event('o1'), event('o2')] };

  it('pass on a clean run', () => {
    expect(uniquenessViolations(clean)).toEqual([]);
    expect(changeLogViolations(clean)).toEqual([]);
    expect(eventViolations(clean, { events: [received('o1'), received('o2')] })).toEqual([]);
  });

  it('find two active records on one code, and a driver in two processing', () => {
    const processing = (id: string) =>
      assigned(id, {
        code: 'same',
        status: 'processing',
        driverId: 'd',
        version: 2,
        changes: [
          { from: null, to: 'pending' },
          { from: 'pending', to: 'processing' },
        ],
      });
    expect(checks(uniquenessViolations({ assignments: [processing('o1'), processing('o2')], outbox: [] }))).toEqual([
      'active code shared',
      'driver in two processing',
    ]);
    // Assigned records release their code: sharing it is fine.
    expect(
      uniquenessViolations({ assignments: [assigned('o1', { code: 'x' }), assigned('o2', { code: 'x' })], outbox: [] }),
    ).toEqual([]);
    // A retryable error keeps its code taken.
    const retryable = assigned('o3', { code: 'same', status: 'error', errorCode: 'driver_busy' });
    expect(checks(uniquenessViolations({ assignments: [retryable, processing('o4')], outbox: [] }))).toEqual([
      'active code shared',
    ]);
  });

  it('find a change log that misses a transition or does not end at the status', () => {
    const a = assigned('o1');
    expect(checks(changeLogViolations({ assignments: [{ ...a, version: 4 }], outbox: [] }))).toEqual(['change log']);
    expect(checks(changeLogViolations({ assignments: [{ ...a, status: 'processing' }], outbox: [] }))).toEqual(['change log']);
    const gap = { ...a, changes: [a.changes[0], { from: 'processing', to: 'assigned' }, a.changes[2]] } as AssignmentFact;
    expect(checks(changeLogViolations({ assignments: [gap], outbox: [] }))).toEqual(['change log']);
  });

  it('find an event lost, undelivered, dead, doubled in the outbox or invented', () => {
    const events = [received('o1'), received('o2')];
    expect(checks(eventViolations({ ...clean, outbox: [event('o1')] }, { events }))).toEqual([
      'event per code entry',
      'event invented',
    ]);
    expect(checks(eventViolations(clean, { events: [received('o1')] }))).toEqual(['event lost']);
    expect(checks(eventViolations({ ...clean, outbox: [event('o1'), event('o2', { delivered: false })] }, { events }))).toEqual([
      'event not delivered',
    ]);
    expect(checks(eventViolations({ ...clean, outbox: [event('o1'), event('o2', { dead: true })] }, { events }))).toEqual([
      'event dead-lettered',
    ]);
    expect(checks(eventViolations(clean, { events: [received('o1'), received('o1', 'e-o2')] }))).toEqual(['event lost']);
  });

  it('find undocumented 5xx, storage 503s outside an outage, and requests past their deadline', () => {
    const windows: FaultWindow[] = [{ fault: 'postgres_restarted', what: '', startAt: 10_000, endAt: 15_000 }];
    const storage503 = (at: number) => request({ at, status: 503, errorCode: 'storage_unavailable' });
    expect(
      requestViolations(
        {
          requests: [
            storage503(12_000),
            storage503(15_000 + RECOVERY_SLACK_MS - 1),
            request({ at: 3_000, status: 503, errorCode: 'tracker_unavailable' }),
            request({ outcome: 'network_error', status: null }),
          ],
        },
        windows,
      ),
    ).toEqual([]);
    expect(
      checks(
        requestViolations(
          {
            requests: [
              storage503(40_000),
              request({ status: 500, errorCode: 'internal' }),
              request({ status: 503, errorCode: null }),
              request({ outcome: 'timeout', status: null }),
              request({ method: 'GET', route: '/v1/assignment/status', status: 404, errorCode: 'assignment_not_found' }),
            ],
          },
          windows,
        ),
      ),
    ).toEqual([
      '503 outside an outage',
      'undocumented 5xx',
      'undocumented 5xx',
      'request past its deadline',
      'driver told his order is not his',
    ]);
  });

  it('find a passenger who did not end assigned, cancelled or expired', () => {
    const passenger = (orderId: string, finalOutcome: PassengerRecord['finalOutcome']): PassengerRecord => ({
      orderId,
      areaId: 'a1',
      arrivedAt: 0,
      code: '123456',
      cancelAt: null,
      clientOutcome: finalOutcome,
      finalOutcome,
      finalStatus: finalOutcome,
      driverId: null,
      entryToAssignedMs: null,
      assignedAt: null,
      entries: 0,
    });
    expect(
      passengerViolations({
        passengers: [passenger('o1', 'assigned'), passenger('o2', 'cancelled'), passenger('o3', 'expired')],
      }),
    ).toEqual([]);
    expect(checks(passengerViolations({ passengers: [passenger('o4', 'unfinished'), passenger('o5', 'not_created')] }))).toEqual([
      'passenger not ended',
      'passenger not ended',
    ]);
  });
});
