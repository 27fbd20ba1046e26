import fc from 'fast-check';
import * as E from 'fp-ts/Either';
import { createUseCases } from '../code-dispatch';
import { isActive, isFinal, type Assignment } from '../domain/assignment';
import { areaId, driver, orderId } from '../domain/ids';
import {
  areaSettings,
  FixedClock,
  FixedExperiments,
  InMemoryAssignmentRepository,
  InMemoryDriverTracker,
  SeededCodeRandom,
  StaticConfigSource,
  testConfig,
} from '../testing';

const ORDERS = ['o1', 'o2', 'o3', 'o4'];
const DRIVERS = [driver('p', 'd1'), driver('p', 'd2'), driver('p', 'd3')];
// A tiny code space (length 3 → ~90 codes) so codes collide and cool down often.
const generator = { length: 3, alphabet: '0123456789', checkDigit: 'damm' as const, group: [3], forbidTrivial: true };

type Step =
  | { op: 'create'; order: number }
  | { op: 'enter'; order: number; driver: number; typo: boolean }
  | { op: 'lookup'; order: number; answer: 'acquired' | 'not_found' | 'busy' | 'out_of_area' | 'unavailable' }
  | { op: 'cancel'; order: number }
  | { op: 'advance'; seconds: number }
  | { op: 'sweep' };

const step: fc.Arbitrary<Step> = fc.oneof(
  fc.record({ op: fc.constant('create' as const), order: fc.nat(ORDERS.length - 1) }),
  fc.record({
    op: fc.constant('enter' as const),
    order: fc.nat(ORDERS.length - 1),
    driver: fc.nat(DRIVERS.length - 1),
    typo: fc.boolean(),
  }),
  fc.record({
    op: fc.constant('lookup' as const),
    order: fc.nat(ORDERS.length - 1),
    answer: fc.constantFrom(
      'acquired' as const,
      'not_found' as const,
      'busy' as const,
      'out_of_area' as const,
      'unavailable' as const,
    ),
  }),
  fc.record({ op: fc.constant('cancel' as const), order: fc.nat(ORDERS.length - 1) }),
  fc.record({ op: fc.constant('advance' as const), seconds: fc.constantFrom(1, 30, 61, 700, 1801) }),
  fc.record({ op: fc.constant('sweep' as const) }),
);

const checkInvariants = (records: readonly Assignment[], finalBefore: Map<string, Assignment>): void => {
  // One active record per (area, code).
  const active = records.filter(isActive).map((a) => `${a.areaId}/${a.code}`);
  expect(new Set(active).size).toBe(active.length);
  // A driver in at most one processing.
  const processing = records.filter((a) => a.status === 'processing').map((a) => `${a.driver?.parkDbId}/${a.driver?.driverId}`);
  expect(new Set(processing).size).toBe(processing.length);
  for (const a of records) {
    // Every transition logged: one entry per version, the log replays to the state.
    expect(a.changes).toHaveLength(a.version);
    expect(a.changes[0]?.from).toBeNull();
    a.changes.slice(1).forEach((c, i) => expect(c.from).toBe(a.changes[i]?.to));
    expect(a.changes.at(-1)?.to).toBe(a.status);
    expect(a.changes.at(-1)?.errorCode ?? null).toBe(a.errorCode);
    // Final states stay final, untouched.
    const before = finalBefore.get(a.orderId);
    if (before) expect(a).toEqual(before);
    expect(a.releasedAt !== null).toBe(isFinal(a));
  }
};

describe('random sequences of operations', () => {
  it('never break an invariant', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(step, { maxLength: 40 }), async (steps) => {
        const repository = new InMemoryAssignmentRepository();
        const tracker = new InMemoryDriverTracker();
        const clock = new FixedClock();
        const dispatch = createUseCases({
          repository,
          tracker,
          clock,
          experiments: new FixedExperiments(),
          random: new SeededCodeRandom(3),
          config: new StaticConfigSource(testConfig({ areas: [areaSettings('a', { generator, codeReuseCooldownS: 60 })] })),
        });
        const finals = new Map<string, Assignment>();
        for (const s of steps) {
          switch (s.op) {
            case 'create':
              await dispatch.createOrder.execute({
                orderId: orderId(ORDERS[s.order]!),
                areaId: areaId('a'),
                userId: null,
                service: 's',
              })();
              break;
            case 'enter': {
              const a = await repository.findByOrder(orderId(ORDERS[s.order]!));
              const typed = a === null ? '123' : s.typo ? a.code.slice(0, 2) + String((Number(a.code[2]) + 1) % 10) : a.code;
              const r = await dispatch.enterCode.execute({ areaId: areaId('a'), typedCode: typed, driver: DRIVERS[s.driver]! })();
              if (s.typo && a !== null) expect(E.isLeft(r) && r.left.code).toMatch(/invalid_code_checksum|too_many_attempts/);
              break;
            }
            case 'lookup': {
              const a = await repository.findByOrder(orderId(ORDERS[s.order]!));
              if (a?.driver)
                tracker.script(
                  a.driver,
                  s.answer === 'unavailable' ? { kind: 'unavailable', retryAfterS: 1 } : { kind: s.answer },
                );
              await dispatch.lookupDriver.execute({ orderId: orderId(ORDERS[s.order]!), service: 'p' })();
              break;
            }
            case 'cancel':
              await dispatch.cancelOrder.execute({ orderId: orderId(ORDERS[s.order]!), service: 's' })();
              break;
            case 'advance':
              clock.advanceSeconds(s.seconds);
              break;
            case 'sweep':
              await dispatch.sweep.execute()();
              break;
          }
          const records = repository.all();
          checkInvariants(records, finals);
          for (const a of records) if (isFinal(a) && !finals.has(a.orderId)) finals.set(a.orderId, a);
        }
        // One processing event per code entry that moved a record to processing.
        const entries = repository.all().flatMap((a) => a.changes.filter((c) => c.to === 'processing'));
        expect(repository.events).toHaveLength(entries.length);
      }),
      { numRuns: 150 },
    );
  });
});
