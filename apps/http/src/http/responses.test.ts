import Ajv2020 from 'ajv/dist/2020';
import addFormats from 'ajv-formats';
import fc from 'fast-check';
import {
  ASSIGNMENT_ERROR_CODES,
  AreaId,
  driver,
  OrderId,
  STATUSES,
  SUPPORTED_LOCALES,
  type Actor,
  type Assignment,
  type Change,
} from '@codedispatch/core';
import { loadedOrThrow, testDocument } from '../__tests__/harness';
import { openApiDocument } from './openapi';
import { PROBLEM_CODES, toProblem } from './problem';
import { assignmentResponse, cancelOrderResponse, createOrderResponse, driverStateResponse, lookupResponse } from './responses';

/*
 * Every answer a mapping can build matches the document's schema of it: the
 * records are drawn at random (every status, error code, actor, optional
 * field), mapped, and validated against the components of the document the
 * service serves. The e2e suite checks the answers it happens to see; this
 * checks the ones it may not.
 */

const document = openApiDocument();
const ajv = new Ajv2020({ strict: false, allErrors: true, validateSchema: false });
addFormats(ajv);
ajv.addSchema(document, 'api');
const component = (name: string) => ajv.compile({ $ref: `api#/components/schemas/${name}` });

const { config } = loadedOrThrow(testDocument());
const AREAS = Object.keys(config.areas);

const decodeOr = <A>(codec: { decode(u: unknown): { _tag: string; right?: A } }, s: string): A => {
  const r = codec.decode(s);
  if (r._tag !== 'Right') throw new Error(`not an id: ${s}`);
  return r.right as A;
};

const date = fc.date({
  min: new Date('2020-01-01T00:00:00.000Z'),
  max: new Date('2040-01-01T00:00:00.000Z'),
  noInvalidDate: true,
});
const id = fc.stringMatching(/^[a-z0-9][a-z0-9_.-]{0,15}$/);
const aDriver = fc.tuple(id, id).map(([park, d]) => driver(park, d));
const status = fc.constantFrom(...STATUSES);
const errorCode = fc.option(fc.constantFrom(...ASSIGNMENT_ERROR_CODES), { nil: null });
const actor: fc.Arbitrary<Actor> = fc.oneof(
  id.map((name) => ({ kind: 'service' as const, name })),
  aDriver.map((d) => ({ kind: 'driver' as const, driver: d })),
  fc.constant({ kind: 'system' as const }),
);
const change: fc.Arbitrary<Change> = fc
  .record({
    at: date,
    from: fc.option(status, { nil: null }),
    to: status,
    actor,
    errorCode: fc.option(fc.constantFrom(...ASSIGNMENT_ERROR_CODES), { nil: undefined }),
    reason: fc.option(fc.string({ maxLength: 40 }), { nil: undefined }),
  })
  .map(({ errorCode: e, reason, ...rest }) => ({
    ...rest,
    ...(e !== undefined ? { errorCode: e } : {}),
    ...(reason !== undefined ? { reason } : {}),
  }));

const assignment: fc.Arbitrary<Assignment> = fc.record({
  orderId: id.map((s) => decodeOr<OrderId>(OrderId, s)),
  areaId: fc.constantFrom(...AREAS).map((s) => decodeOr<AreaId>(AreaId, s)),
  code: fc.stringMatching(/^[0-9]{4,8}$/),
  status,
  errorCode,
  driver: fc.option(aDriver, { nil: null }),
  userId: fc.option(id, { nil: null }),
  createdAt: date,
  updatedAt: date,
  expiresAt: date,
  releasedAt: fc.option(date, { nil: null }),
  attempt: fc.nat({ max: 50 }),
  legacy: fc.boolean(),
  version: fc.nat(),
  changes: fc.array(change, { minLength: 1, maxLength: 5 }),
});

const matches = (name: string) => {
  const validate = component(name);
  return (body: unknown): void => {
    if (!validate(body)) throw new Error(`${name}: ${ajv.errorsText(validate.errors)}\n${JSON.stringify(body)}`);
  };
};

describe('the answers the mappings build match the document', () => {
  it('create, cancel and the whole record', () => {
    const created = matches('CreateOrderResponse');
    const cancelled = matches('CancelOrderResponse');
    const whole = matches('Assignment');
    fc.assert(
      fc.property(assignment, fc.option(fc.string(), { nil: undefined }), (a, instructions) => {
        created(createOrderResponse(config, a, instructions));
        cancelled(cancelOrderResponse(a));
        whole(assignmentResponse(config, a));
      }),
      { numRuns: 300 },
    );
  });

  it("the driver's view, in each language", () => {
    const state = matches('DriverState');
    fc.assert(
      fc.property(assignment, fc.constantFrom(...SUPPORTED_LOCALES), (a, locale) => {
        state(
          driverStateResponse({ orderId: a.orderId, status: a.status, errorCode: a.errorCode, updatedAt: a.updatedAt }, locale),
        );
      }),
      { numRuns: 200 },
    );
  });

  it('the lookup, with and without a candidate, its position and its due time', () => {
    const looked = matches('LookupResponse');
    const candidate = fc.option(
      fc.record(
        {
          driver: aDriver,
          position: fc.record({
            lat: fc.double({ min: -90, max: 90, noNaN: true }),
            lon: fc.double({ min: -180, max: 180, noNaN: true }),
          }),
          due: date,
        },
        { requiredKeys: ['driver'] },
      ),
      { nil: undefined },
    );
    fc.assert(
      fc.property(assignment, candidate, (a, c) => {
        looked(lookupResponse(c === undefined ? { assignment: a } : { assignment: a, candidate: c }));
      }),
      { numRuns: 200 },
    );
  });

  it('every problem code, with and without the driver’s message, fields and status', () => {
    const problem = matches('Problem');
    for (const code of PROBLEM_CODES) {
      for (const driverLocale of [undefined, ...SUPPORTED_LOCALES]) {
        const failure = {
          code,
          ...(code === 'invalid_request' ? { errors: [{ path: 'order_id', message: 'required' }] } : {}),
          ...(code === 'assignment_not_processing' ? { assignmentStatus: 'assigned' as const } : {}),
        };
        expect(() => problem(toProblem(failure, driverLocale === undefined ? {} : { driverLocale }).body)).not.toThrow();
      }
    }
  });

  it('and the check can fail: a field the shape does not name, or a required one left out, is refused', () => {
    const whole = component('Assignment');
    const sample = fc.sample(assignment, 1)[0] as Assignment;
    const body = assignmentResponse(config, sample) as unknown as Record<string, unknown>;
    expect(whole(body)).toBe(true);
    expect(whole({ ...body, surprise: 1 })).toBe(false);
    const { expires_at: _left, ...without } = body;
    expect(whole(without)).toBe(false);
    expect(
      component('DriverState')({ order_id: 'o', status: 'error', error_code: 'expired', updated_at: '2026-01-01T00:00:00.000Z' }),
    ).toBe(false);
  });
});
