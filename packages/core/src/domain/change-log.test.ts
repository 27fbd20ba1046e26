import { changeFromJson, changeToJson } from './change-log';
import type { Change } from './assignment';
import { driver } from './ids';

describe('the change log wire form', () => {
  const changes: Change[] = [
    { at: new Date('2026-11-26T10:00:00.000Z'), from: null, to: 'pending', actor: { kind: 'service', name: 'ordercommit' } },
    {
      at: new Date('2026-11-26T10:01:00.123Z'),
      from: 'pending',
      to: 'processing',
      actor: { kind: 'driver', driver: driver('p1', 'd1') },
    },
    {
      at: new Date('2026-11-26T10:02:00.000Z'),
      from: 'processing',
      to: 'error',
      actor: { kind: 'system' },
      errorCode: 'processing_timeout',
    },
    {
      at: new Date('2026-11-26T10:03:00.000Z'),
      from: 'error',
      to: 'error',
      actor: { kind: 'service', name: 's' },
      errorCode: 'order_cancelled',
      reason: 'left',
    },
  ];

  it('is snake_case with ISO timestamps, and round-trips', () => {
    expect(changeToJson(changes[1]!)).toEqual({
      at: '2026-11-26T10:01:00.123Z',
      from: 'pending',
      to: 'processing',
      actor: { kind: 'driver', park_db_id: 'p1', driver_id: 'd1' },
    });
    expect(changeToJson(changes[3]!)).toMatchObject({ error_code: 'order_cancelled', reason: 'left' });
    for (const c of changes) expect(changeFromJson(changeToJson(c))).toEqual(c);
  });
});
