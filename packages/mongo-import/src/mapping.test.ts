import * as E from 'fp-ts/Either';
import {
  readLegacyAssignment,
  readLegacyCode,
  toAssignment,
  normaliseLegacyCode,
  type LegacyAssignment,
  type LegacyCode,
} from './mapping';

const NOW = new Date('2026-11-26T10:00:00.000Z');
const at = (iso: string): Date => new Date(iso);
const ms = (iso: string): number => at(iso).getTime();

const code = (overrides: Partial<LegacyCode> = {}): LegacyCode => ({
  orderId: 'o1',
  code: '482913',
  areaId: 'svo_d',
  created: ms('2026-11-26T09:50:00Z'),
  expire: ms('2026-11-26T10:20:00Z'),
  ...overrides,
});

const assignment = (overrides: Partial<LegacyAssignment> = {}): LegacyAssignment => ({
  orderId: 'o1',
  status: 'processing',
  errorCode: null,
  driverId: 'd1',
  parkId: 'p1',
  created: ms('2026-11-26T09:51:00Z'),
  updated: ms('2026-11-26T09:52:00Z'),
  ...overrides,
});

const rejection = <T>(result: E.Either<{ reason: string }, T>): string => (E.isLeft(result) ? result.left.reason : 'mapped');
const mapped = <T>(result: E.Either<{ reason: string }, T>): T => {
  if (E.isLeft(result)) throw new Error(`rejected: ${result.left.reason}`);
  return result.right;
};

describe('normaliseLegacyCode', () => {
  it.each([
    ['482 913', '482913'],
    ['48-29.13', '482913'],
    ['ab C-1', 'abC1'],
    ['４８２', '４８２'],
  ])('%s → %s (separators only, nothing else)', (written, normalised) => {
    expect(normaliseLegacyCode(written)).toBe(normalised);
  });
});

describe('readLegacyCode', () => {
  it('takes the fields, normalises the code and keeps zone_id as it is', () => {
    const doc = { _id: 'x', order_id: 'o1', code: '482 913', zone_id: 'SVO d', created: at('2026-11-26T09:50:00Z') };
    expect(mapped(readLegacyCode(doc))).toEqual({
      orderId: 'o1',
      code: '482913',
      areaId: 'SVO d',
      created: ms('2026-11-26T09:50:00Z'),
      expire: null,
      idTime: null,
    });
  });

  it("keeps the ObjectId's creation time as the fallback for a missing created", () => {
    const doc = { _id: '6553f100aaaaaaaaaaaaaaaa', order_id: 'o1', code: '482913', zone_id: 'svo_d' };
    expect(mapped(readLegacyCode(doc))).toMatchObject({ created: null, idTime: 0x6553f100 * 1000 });
  });

  it.each([
    [{ code: '1', zone_id: 'a' }, 'document without order_id'],
    [{ order_id: '', code: '1', zone_id: 'a' }, 'document without order_id'],
    [{ order_id: 7, code: '1', zone_id: 'a' }, 'order_id is not a string (number 7)'],
    [{ order_id: 'o\u0000', code: '1', zone_id: 'a' }, 'order_id "o\\u0000" is not a valid identifier'],
    [{ order_id: 'o1', zone_id: 'a' }, 'code document without code'],
    [{ order_id: 'o1', code: null, zone_id: 'a' }, 'code document without code'],
    [{ order_id: 'o1', code: 482913, zone_id: 'a' }, 'code is not a string (number 482913)'],
    [{ order_id: 'o1', code: ' - ', zone_id: 'a' }, 'empty or not storable'],
    [{ order_id: 'o1', code: '1' }, 'code document without zone_id'],
    [{ order_id: 'o1', code: '1', zone_id: 'a', created: '2026-01-01' }, 'created is not a date'],
    [{ order_id: 'o1', code: '1', zone_id: 'a', expire: new Date(NaN) }, 'expire is not a valid date'],
  ])('rejects %j: %s', (doc, reason) => {
    expect(rejection(readLegacyCode(doc))).toContain(reason);
  });
});

describe('readLegacyAssignment', () => {
  const base = {
    order_id: 'o1',
    driver_id: 'd1',
    park_id: 'p1',
    created: at('2026-11-26T09:51:00Z'),
    updated: at('2026-11-26T09:52:00Z'),
  };

  it.each([
    [{ status: 'pending', driver_id: null, park_id: null }, 'pending', null],
    [{ status: 'processing' }, 'processing', null],
    [{ status: 'assigned' }, 'assigned', null],
    [{ status: 'error', error: 'driver_not_found_in_tracker' }, 'error', 'driver_not_found_in_tracker'],
    [{ status: 'error', error: 'processing_timeout' }, 'error', 'processing_timeout'],
    [{ status: 'error', error: 'expired' }, 'error', 'expired'],
    [{ status: 'error', error: 'order_canceled' }, 'error', 'order_cancelled'],
    [{ status: 'error', error: 'cancelled' }, 'error', 'order_cancelled'],
    // A leftover error of an earlier attempt on a record that went on: dropped.
    [{ status: 'assigned', error: 'driver_busy' }, 'assigned', null],
  ])('maps %j', (fields, status, errorCode) => {
    const result = mapped(readLegacyAssignment({ ...base, ...fields }));
    expect(result).toMatchObject({ orderId: 'o1', status, errorCode });
  });

  it.each([
    [{ status: undefined }, 'assignment without status'],
    [{ status: 'done' }, 'status "done" does not map'],
    [{ status: 3 }, 'status number 3 does not map'],
    [{ status: 'Pending' }, 'status "Pending" does not map'],
    [{ status: 'error' }, 'status error without an error code'],
    [{ status: 'error', error: 'boom' }, 'error "boom" does not map'],
    [{ status: 'assigned', error: 'boom' }, 'error "boom" does not map'],
    [{ status: 'processing', driver_id: undefined, park_id: undefined }, 'status processing without driver_id and park_id'],
    [{ status: 'assigned', driver_id: undefined, park_id: undefined }, 'status assigned without driver_id and park_id'],
    [{ status: 'pending', park_id: undefined }, 'driver_id without park_id'],
    [{ status: 'error', error: 'driver_busy', driver_id: undefined }, 'park_id without driver_id'],
    [{ status: 'pending', updated: 1700000000 }, 'updated is not a date'],
  ])('rejects %j: %s', (fields, reason) => {
    expect(rejection(readLegacyAssignment({ ...base, ...fields }))).toContain(reason);
  });

  it('names the order of a document it rejects', () => {
    const result = readLegacyAssignment({ order_id: 'o9', status: 'nope' });
    expect(E.isLeft(result) && result.left.orderId).toBe('o9');
  });
});

describe('toAssignment', () => {
  it('merges: created from the code, updated from the assignment, expire kept, one imported change', () => {
    expect(mapped(toAssignment(code(), assignment(), 1800, NOW))).toEqual({
      orderId: 'o1',
      areaId: 'svo_d',
      code: '482913',
      status: 'processing',
      errorCode: null,
      driver: { parkDbId: 'p1', driverId: 'd1' },
      userId: null,
      createdAt: at('2026-11-26T09:50:00Z'),
      updatedAt: at('2026-11-26T09:52:00Z'),
      expiresAt: at('2026-11-26T10:20:00Z'),
      releasedAt: null,
      attempt: 1,
      legacy: true,
      version: 1,
      changes: [{ at: at('2026-11-26T09:50:00Z'), from: null, to: 'processing', actor: { kind: 'system' }, reason: 'imported' }],
    });
  });

  it("falls back to the assignment's created, then to created for updated, and computes expires_at from the area", () => {
    const result = mapped(toAssignment(code({ created: null, expire: null }), assignment({ updated: null }), 600, NOW));
    expect(result.createdAt).toEqual(at('2026-11-26T09:51:00Z'));
    expect(result.updatedAt).toEqual(at('2026-11-26T09:51:00Z'));
    expect(result.expiresAt).toEqual(at('2026-11-26T10:01:00Z'));
  });

  it('a final record releases its code at updated_at and logs its error code', () => {
    const result = mapped(toAssignment(code(), assignment({ status: 'error', errorCode: 'order_cancelled' }), 1800, NOW));
    expect(result).toMatchObject({
      status: 'error',
      errorCode: 'order_cancelled',
      releasedAt: at('2026-11-26T09:52:00Z'),
      attempt: 1,
    });
    expect(result.changes).toEqual([
      {
        at: at('2026-11-26T09:50:00Z'),
        from: null,
        to: 'error',
        actor: { kind: 'system' },
        errorCode: 'order_cancelled',
        reason: 'imported',
      },
    ]);
  });

  it('a retryable error stays active', () => {
    const result = mapped(toAssignment(code(), assignment({ status: 'error', errorCode: 'driver_busy' }), 1800, NOW));
    expect(result).toMatchObject({ status: 'error', errorCode: 'driver_busy', releasedAt: null });
  });

  it('an active record whose expire has passed stays as imported (the sweeps end it)', () => {
    const result = mapped(
      toAssignment(
        code({ expire: ms('2026-11-26T09:00:00Z') }),
        assignment({ status: 'pending', driverId: null, parkId: null }),
        1800,
        NOW,
      ),
    );
    expect(result).toMatchObject({ status: 'pending', errorCode: null, driver: null, attempt: 0, releasedAt: null });
  });

  it('a code without assignment is pending while its expire is ahead', () => {
    const result = mapped(toAssignment(code(), null, 1800, NOW));
    expect(result).toMatchObject({ status: 'pending', errorCode: null, driver: null, attempt: 0, releasedAt: null });
    expect(result.updatedAt).toEqual(result.createdAt);
  });

  it('a code without assignment whose expire has passed is error(expired), released at updated_at', () => {
    const result = mapped(toAssignment(code({ expire: ms('2026-11-26T10:00:00Z') }), null, 1800, NOW));
    expect(result).toMatchObject({ status: 'error', errorCode: 'expired', releasedAt: at('2026-11-26T09:50:00Z') });
    expect(result.changes[0]).toMatchObject({ to: 'error', errorCode: 'expired', reason: 'imported' });
  });

  it('a code without assignment and without expire expires created_at + order_expire_s', () => {
    expect(mapped(toAssignment(code({ expire: null }), null, 601, NOW)).status).toBe('pending');
    expect(mapped(toAssignment(code({ expire: null }), null, 600, NOW)).status).toBe('error');
  });

  it('rejects a record with no created date anywhere', () => {
    expect(rejection(toAssignment(code({ created: null }), assignment({ created: null }), 1800, NOW))).toBe(
      'no created date in the code or the assignment document',
    );
  });
});
