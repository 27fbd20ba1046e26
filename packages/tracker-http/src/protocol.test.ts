import { areaId, driver, orderId } from '@codedispatch/core';
import { acquireRequestBody, readAnswer, type Answer } from './protocol';

const d = driver('park-1', 'driver-1');
const ok = (body: unknown): string => JSON.stringify(body);
const acquiredBody = (position: unknown, who = { park_db_id: 'park-1', driver_id: 'driver-1' }): string =>
  ok({ driver: { ...who, position } });

describe('acquireRequestBody', () => {
  it('names the fields as the protocol does', () => {
    expect(acquireRequestBody(d, orderId('o-1'), areaId('svo_d'))).toStrictEqual({
      park_db_id: 'park-1',
      driver_id: 'driver-1',
      order_id: 'o-1',
      area_id: 'svo_d',
    });
  });
});

describe('readAnswer', () => {
  const rows: readonly [string, number, string, Answer][] = [
    [
      '200 with a position',
      200,
      acquiredBody({ lat: 55.97, lon: 37.41 }),
      { kind: 'acquired', position: { lat: 55.97, lon: 37.41 } },
    ],
    ['200 at the limits', 200, acquiredBody({ lat: -90, lon: 180 }), { kind: 'acquired', position: { lat: -90, lon: 180 } }],
    ['404 driver_not_found', 404, ok({ code: 'driver_not_found' }), { kind: 'not_found' }],
    ['409 driver_busy', 409, ok({ code: 'driver_busy' }), { kind: 'busy' }],
    ['422 driver_out_of_area', 422, ok({ code: 'driver_out_of_area' }), { kind: 'out_of_area' }],
    // malformed 200: never "acquired"
    ['200 not JSON', 200, '{"driver": ', { kind: 'failure', retryable: false }],
    ['200 without driver', 200, ok({}), { kind: 'failure', retryable: false }],
    [
      '200 without position',
      200,
      ok({ driver: { park_db_id: 'park-1', driver_id: 'driver-1' } }),
      { kind: 'failure', retryable: false },
    ],
    ['200 latitude out of range', 200, acquiredBody({ lat: 91, lon: 0 }), { kind: 'failure', retryable: false }],
    ['200 longitude as a string', 200, acquiredBody({ lat: 1, lon: '2' }), { kind: 'failure', retryable: false }],
    [
      '200 for another driver',
      200,
      acquiredBody({ lat: 1, lon: 2 }, { park_db_id: 'park-1', driver_id: 'driver-2' }),
      { kind: 'failure', retryable: false },
    ],
    // a refusal without its protocol code is not a refusal (a proxy, a wrong URL)
    ['404 without code', 404, '<html>Not Found</html>', { kind: 'failure', retryable: false }],
    ['409 with another code', 409, ok({ code: 'driver_not_found' }), { kind: 'failure', retryable: false }],
    ['422 empty', 422, '', { kind: 'failure', retryable: false }],
    ['400', 400, ok({ code: 'invalid_request' }), { kind: 'failure', retryable: false }],
    ['429', 429, '', { kind: 'failure', retryable: false }],
    ['500', 500, '', { kind: 'failure', retryable: false }],
    ['502', 502, '', { kind: 'failure', retryable: true }],
    ['503', 503, '', { kind: 'failure', retryable: true }],
    ['504', 504, '', { kind: 'failure', retryable: true }],
    ['201', 201, acquiredBody({ lat: 1, lon: 2 }), { kind: 'failure', retryable: false }],
  ];

  it.each(rows)('%s', (_name, status, text, expected) => {
    expect(readAnswer(status, text, d)).toStrictEqual(expected);
  });
});
