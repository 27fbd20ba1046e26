import * as E from 'fp-ts/Either';
import { createUseCases } from '../code-dispatch';
import { areaId, driver, orderId, type UserId } from '../domain/ids';
import type { DomainError } from '../errors';
import { decodeConfig, formatConfigIssues } from '../config/codec';
import type { DispatchConfig, GeneratorSettings } from '../config/config';
import { parseCode } from '../codes';
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

const world = (config: DispatchConfig = testConfig({ areas: [areaSettings('svo_d', { driverDueOffsetS: 120 })] })) => {
  const repository = new InMemoryAssignmentRepository();
  const tracker = new InMemoryDriverTracker();
  const clock = new FixedClock();
  const experiments = new FixedExperiments();
  const source = new StaticConfigSource(config);
  const dispatch = createUseCases({
    repository,
    tracker,
    experiments,
    clock,
    random: new SeededCodeRandom(7),
    config: source,
  });
  const create = async (id = 'o1', area = 'svo_d') => {
    const r = await dispatch.createOrder.execute({
      orderId: orderId(id),
      areaId: areaId(area),
      userId: null,
      service: 'ordercommit',
    })();
    if (E.isLeft(r)) throw new Error(JSON.stringify(r.left));
    return r.right;
  };
  const enter = (code: string, who = anna, area = 'svo_d') =>
    dispatch.enterCode.execute({ areaId: areaId(area), typedCode: code, driver: who })();
  const lookup = (id = 'o1') => dispatch.lookupDriver.execute({ orderId: orderId(id), service: 'processing' })();
  const status = (id = 'o1', who = anna) => dispatch.driverStatus.execute({ orderId: orderId(id), driver: who })();
  const cancel = (id = 'o1', reason?: string) =>
    dispatch.cancelOrder.execute({ orderId: orderId(id), service: 'ordercommit', ...(reason ? { reason } : {}) })();
  return { repository, tracker, clock, experiments, source, dispatch, create, enter, lookup, status, cancel };
};

const anna = driver('park1', 'anna');
const boris = driver('park1', 'boris');

const errorCode = (r: E.Either<DomainError, unknown>): string | undefined => (E.isLeft(r) ? r.left.code : undefined);

/** Another valid code of the area's format that no order holds. */
const otherCode = (taken: string): string => {
  const settings = testConfig().generator;
  for (let i = 0; ; i++) {
    const payload = String(i).padStart(5, '0');
    for (const check of '0123456789') {
      const c = payload + check;
      if (c !== taken && E.isRight(parseCode(settings, c))) return c;
    }
  }
};

describe('create order', () => {
  it('issues a valid pending code that expires after order_expire_s', async () => {
    const w = world();
    const a = await w.create();
    expect(a.status).toBe('pending');
    expect(E.isRight(parseCode(testConfig().generator, a.code))).toBe(true);
    expect(a.expiresAt.getTime() - a.createdAt.getTime()).toBe(1800 * 1000);
  });

  it('is idempotent by order_id', async () => {
    const w = world();
    const first = await w.create();
    const again = await w.create();
    expect(again.code).toBe(first.code);
    expect(w.repository.all()).toHaveLength(1);
  });

  it('answers a retry with the current status, without checking area or experiment again', async () => {
    const w = world();
    await w.create();
    await w.cancel();
    w.experiments.enabled = false;
    w.source.set(testConfig({ areas: [] }));
    const again = await w.create();
    expect(again.errorCode).toBe('order_cancelled');
  });

  it('refuses the same order in another area', async () => {
    const w = world(testConfig({ areas: [areaSettings('svo_d'), areaSettings('zenit')] }));
    await w.create('o1', 'svo_d');
    const r = await w.dispatch.createOrder.execute({
      orderId: orderId('o1'),
      areaId: areaId('zenit'),
      userId: null,
      service: 's',
    })();
    expect(errorCode(r)).toBe('order_exists_in_other_area');
  });

  it.each([
    ['area_not_found', testConfig({ areas: [] }), true],
    ['area_disabled', testConfig({ areas: [areaSettings('svo_d', { enabled: false })] }), true],
    ['code_dispatch_disabled', testConfig(), false],
  ])('refuses with %s', async (code, config, experimentOn) => {
    const w = world(config);
    w.experiments.enabled = experimentOn;
    const r = await w.dispatch.createOrder.execute({
      orderId: orderId('o1'),
      areaId: areaId('svo_d'),
      userId: 'u1' as UserId,
      service: 's',
    })();
    expect(errorCode(r)).toBe(code);
    expect(w.repository.all()).toHaveLength(0);
  });

  it('still creates when processing is disabled', async () => {
    const w = world(testConfig({ processingEnabled: false }));
    await expect(w.create()).resolves.toMatchObject({ status: 'pending' });
  });

  it('fills a small code space with distinct codes, then answers code_space_exhausted', async () => {
    const generator = { length: 3, alphabet: '0123456789', checkDigit: 'damm' as const, group: [3], forbidTrivial: true };
    const w = world(testConfig({ areas: [areaSettings('tiny', { generator })] }));
    const codes = new Set<string>();
    for (let i = 0; ; i++) {
      const r = await w.dispatch.createOrder.execute({
        orderId: orderId(`o${i}`),
        areaId: areaId('tiny'),
        userId: null,
        service: 's',
      })();
      if (E.isLeft(r)) {
        expect(r.left.code).toBe('code_space_exhausted');
        break;
      }
      expect(codes.has(r.right.code)).toBe(false);
      codes.add(r.right.code);
      expect(i).toBeLessThan(200);
    }
    expect(codes.size).toBeGreaterThan(80);
  });

  it('does not reissue a released code within the cooldown', async () => {
    const generator = { length: 2, alphabet: '0123456789', checkDigit: 'none' as const, group: [2], forbidTrivial: false };
    const w = world(testConfig({ areas: [areaSettings('tiny', { generator, codeReuseCooldownS: 60 })] }));
    const issued: string[] = [];
    for (let i = 0; i < 100; i++) issued.push((await w.create(`o${i}`, 'tiny')).code);
    await w.cancel('o0');
    const full = await w.dispatch.createOrder.execute({
      orderId: orderId('x'),
      areaId: areaId('tiny'),
      userId: null,
      service: 's',
    })();
    expect(errorCode(full)).toBe('code_space_exhausted');
    w.clock.advanceSeconds(61);
    const reused = await w.create('x', 'tiny');
    expect(reused.code).toBe(issued[0]);
  });
});

describe('enter code', () => {
  it('moves a pending code to processing with this driver and writes one event', async () => {
    const w = world();
    const a = await w.create();
    const r = await w.enter(a.code.slice(0, 3) + ' ' + a.code.slice(3));
    expect(E.isRight(r) && r.right).toMatchObject({ status: 'processing', driver: anna });
    expect(w.repository.events).toHaveLength(1);
    expect(w.repository.events[0]).toMatchObject({ orderId: 'o1', attempt: 1, driver: anna });
  });

  it('answers the same driver repeating the call with the current state and no second event', async () => {
    const w = world();
    const a = await w.create();
    await w.enter(a.code);
    const again = await w.enter(`${a.code.slice(0, 2)}-${a.code.slice(2)}`);
    expect(E.isRight(again) && again.right.status).toBe('processing');
    await w.lookup();
    const afterAssigned = await w.enter(a.code);
    expect(E.isRight(afterAssigned) && afterAssigned.right.status).toBe('assigned');
    expect(w.repository.events).toHaveLength(1);
  });

  it('refuses another driver with code_already_in_use', async () => {
    const w = world();
    const a = await w.create();
    await w.enter(a.code);
    expect(errorCode(await w.enter(a.code, boris))).toBe('code_already_in_use');
  });

  it('lets the same or another driver retry after a retryable failure', async () => {
    const w = world();
    const a = await w.create();
    w.tracker.script(anna, { kind: 'busy' });
    await w.enter(a.code);
    await w.lookup();
    const retry = await w.enter(a.code, boris);
    expect(E.isRight(retry) && retry.right).toMatchObject({ status: 'processing', driver: boris, attempt: 2 });
    expect(w.repository.events.map((e) => e.attempt)).toEqual([1, 2]);
  });

  it('starts a new attempt when the driver re-enters after his own failure', async () => {
    const w = world();
    const a = await w.create();
    w.tracker.script(anna, { kind: 'not_found' });
    await w.enter(a.code);
    await w.lookup();
    const retry = await w.enter(a.code);
    expect(E.isRight(retry) && retry.right.status).toBe('processing');
    expect(w.repository.events).toHaveLength(2);
  });

  it.each([
    ['1', 'invalid_code_format'],
    ['abcdef', 'invalid_code_format'],
  ])('refuses %p with %s before any lookup', async (typed, code) => {
    const w = world();
    await w.create();
    expect(errorCode(await w.enter(typed))).toBe(code);
  });

  it('refuses a checksum typo with invalid_code_checksum', async () => {
    const w = world();
    const a = await w.create();
    const typo = a.code.slice(0, 5) + String((Number(a.code[5]) + 1) % 10);
    expect(errorCode(await w.enter(typo))).toBe('invalid_code_checksum');
  });

  it.each([
    ['none', '0123456789', 'code_not_found'],
    ['damm', '0123456789', 'invalid_code_checksum'],
    ['verhoeff', '0123456789ABCDEFGHJKMNPQRSTVWXYZ', 'invalid_code_checksum'],
    ['luhn_mod_n', '0123456789ABCDEFGHJKMNPQRSTVWXYZ', 'invalid_code_checksum'],
    ['luhn_mod_n', '0123456789', 'invalid_code_checksum'],
  ])(
    'check_digit %s over %s, from the configuration: the issued code is taken back, a typo answers %s',
    async (scheme, alphabet, typoAnswer) => {
      const document = {
        areas: { svo_d: { generator: { alphabet, check_digit: scheme, length: 8, group: [4, 4] } } },
      };
      const config = decodeConfig(document);
      if (E.isLeft(config)) throw new Error(formatConfigIssues(config.left));
      const w = world(config.right);
      const a = await w.create();
      const generator = config.right.areas['svo_d']?.generator as GeneratorSettings;
      expect(parseCode(generator, a.code)).toEqual(E.right(a.code));
      const chars = [...alphabet];
      const typo = (chars[(chars.indexOf(a.code[0] as string) + 1) % chars.length] as string) + a.code.slice(1);
      expect(errorCode(await w.enter(typo))).toBe(typoAnswer);
      const entered = await w.enter(a.code);
      expect(E.isRight(entered) && entered.right.status).toBe('processing');
    },
  );

  it('answers code_not_found for an unknown, expired or final code', async () => {
    const w = world();
    const a = await w.create();
    expect(errorCode(await w.enter(otherCode(a.code)))).toBe('code_not_found');
    await w.cancel();
    expect(errorCode(await w.enter(a.code))).toBe('code_not_found');
    const b = await w.create('o2');
    w.clock.advanceSeconds(1800);
    expect(errorCode(await w.enter(b.code))).toBe('code_not_found');
  });

  it('refuses a driver who already has another assignment in processing', async () => {
    const w = world();
    const a = await w.create('o1');
    const b = await w.create('o2');
    await w.enter(a.code);
    expect(errorCode(await w.enter(b.code))).toBe('driver_has_active_assignment');
  });

  it('lets the driver go on once his processing assignment timed out', async () => {
    const w = world();
    const a = await w.create('o1');
    const b = await w.create('o2');
    await w.enter(a.code);
    w.clock.advanceSeconds(61);
    expect(E.isRight(await w.enter(b.code))).toBe(true);
  });

  it.each([
    ['processing_disabled', testConfig({ processingEnabled: false })],
    ['area_not_found', testConfig({ areas: [] })],
    ['area_disabled', testConfig({ areas: [areaSettings('svo_d', { enabled: false })] })],
  ])('refuses with %s', async (code, config) => {
    const w = world();
    const a = await w.create();
    w.source.set(config);
    expect(errorCode(await w.enter(a.code))).toBe(code);
  });

  it('blocks a driver after max_failed_attempts failures, even for a correct code, until the oldest leaves the window', async () => {
    const w = world(testConfig({ areas: [areaSettings('svo_d', { maxFailedAttempts: 3, attemptsWindowS: 600 })] }));
    const a = await w.create();
    const wrong = otherCode(a.code);
    for (let i = 0; i < 3; i++) {
      expect(errorCode(await w.enter(wrong))).toBe('code_not_found');
      w.clock.advanceSeconds(10);
    }
    const blocked = await w.enter(a.code);
    expect(E.isLeft(blocked) && blocked.left).toEqual({ code: 'too_many_attempts', retryAfterS: 570 });
    // Format errors are not counted, and other drivers are not affected.
    expect(errorCode(await w.enter(a.code, boris))).toBeUndefined();
    w.clock.advanceSeconds(570);
    expect(errorCode(await w.enter(otherCode(a.code)))).toBe('code_not_found');
  });

  it('does not count an entry refused with driver_has_active_assignment', async () => {
    const w = world(testConfig({ areas: [areaSettings('svo_d', { maxFailedAttempts: 1 })] }));
    const a = await w.create('o1');
    const b = await w.create('o2');
    expect(E.isRight(await w.enter(a.code))).toBe(true);
    expect(errorCode(await w.enter(b.code))).toBe('driver_has_active_assignment');
    expect(errorCode(await w.enter(otherCode(a.code)))).toBe('code_not_found');
    expect(errorCode(await w.enter(b.code))).toBe('too_many_attempts');
  });

  it('takes the entry back when the storage fails after counting it', async () => {
    const w = world(testConfig({ areas: [areaSettings('svo_d', { maxFailedAttempts: 1 })] }));
    const a = await w.create();
    // The slower path: the one-step entry counts it and leaves it undecided.
    const enterCode = w.repository.enterCode.bind(w.repository);
    w.repository.enterCode = async (entry) => {
      const reserved = await w.repository.reserveAttempt(entry, entry.limit);
      return reserved.kind === 'reserved' ? { kind: 'undecided' } : reserved;
    };
    const find = w.repository.findActiveByCode.bind(w.repository);
    w.repository.findActiveByCode = () => Promise.reject(new Error('connection reset'));
    expect(errorCode(await w.enter(a.code))).toBe('storage_unavailable');
    w.repository.findActiveByCode = find;
    w.repository.enterCode = enterCode;
    expect(E.isRight(await w.enter(a.code))).toBe(true);
  });

  it('answers storage_unavailable when the one-step entry fails, and counts nothing', async () => {
    const w = world(testConfig({ areas: [areaSettings('svo_d', { maxFailedAttempts: 1 })] }));
    const a = await w.create();
    const enterCode = w.repository.enterCode.bind(w.repository);
    w.repository.enterCode = () => Promise.reject(new Error('connection reset'));
    expect(errorCode(await w.enter(a.code))).toBe('storage_unavailable');
    w.repository.enterCode = enterCode;
    expect(E.isRight(await w.enter(a.code))).toBe(true);
  });

  /** The slower path for every entry: the one-step entry loses its race, so the entry is reserved and decided in steps. */
  const slowPath = (w: ReturnType<typeof world>) => {
    w.repository.enterCode = async () => ({ kind: 'lost_race' });
  };

  it('decides a lost write afresh: another driver entered the code between the read and the write', async () => {
    const w = world();
    const a = await w.create();
    slowPath(w);
    const apply = w.repository.applyTransition.bind(w.repository);
    let first = true;
    w.repository.applyTransition = async (write) => {
      if (!first) return apply(write);
      first = false;
      expect(E.isRight(await w.enter(a.code, boris))).toBe(true);
      return { kind: 'conflict' };
    };
    expect(errorCode(await w.enter(a.code))).toBe('code_already_in_use');
    expect(w.repository.events.map((e) => e.driver)).toEqual([boris]);
  });

  it('answers storage_unavailable, and counts nothing, when the record keeps changing past the retries', async () => {
    const w = world(testConfig({ areas: [areaSettings('svo_d', { maxFailedAttempts: 1 })] }));
    const a = await w.create();
    slowPath(w);
    const apply = w.repository.applyTransition.bind(w.repository);
    let writes = 0;
    w.repository.applyTransition = async () => {
      writes++;
      return { kind: 'conflict' };
    };
    const result = await w.enter(a.code);
    expect(errorCode(result)).toBe('storage_unavailable');
    expect(E.isLeft(result) && result.left.code === 'storage_unavailable' && String(result.left.cause)).toContain(
      `code ${a.code} in svo_d kept changing: 8 writes lost`,
    );
    expect(writes).toBe(8);
    // Not counted against the limit of one: the next entry goes through.
    w.repository.applyTransition = apply;
    expect(E.isRight(await w.enter(a.code))).toBe(true);
  });

  it('does not count format or checksum errors as failed attempts', async () => {
    const w = world(testConfig({ areas: [areaSettings('svo_d', { maxFailedAttempts: 1 })] }));
    const a = await w.create();
    expect(errorCode(await w.enter('12'))).toBe('invalid_code_format');
    expect(errorCode(await w.enter(a.code.slice(0, 5) + String((Number(a.code[5]) + 1) % 10)))).toBe('invalid_code_checksum');
    expect(E.isRight(await w.enter(a.code))).toBe(true);
  });
});

describe('legacy codes', () => {
  it('looks up a code of no current format among active legacy codes', async () => {
    const w = world();
    const base = await w.create('seed');
    w.repository.seed({ ...base, orderId: orderId('legacy1'), code: 'AB12', legacy: true });
    const r = await w.enter('ab-12'.toUpperCase());
    expect(E.isRight(r) && r.right.orderId).toBe('legacy1');
    expect(errorCode(await w.enter('ZZ99', boris))).toBe('invalid_code_format');
  });

  it('ends the fallback when no legacy code is active', async () => {
    const w = world();
    const base = await w.create('seed');
    w.repository.seed({
      ...base,
      orderId: orderId('legacy1'),
      code: '4829',
      legacy: true,
      status: 'assigned',
      releasedAt: base.createdAt,
      driver: boris,
    });
    expect(errorCode(await w.enter('4829'))).toBe('invalid_code_format');
  });
});

describe('lookup', () => {
  it('assigns the acquired driver and returns the candidate with due', async () => {
    const w = world();
    const a = await w.create();
    await w.enter(a.code);
    w.clock.advanceSeconds(5);
    const r = await w.lookup();
    if (E.isLeft(r)) throw new Error(r.left.code);
    expect(r.right.assignment.status).toBe('assigned');
    expect(r.right.candidate).toEqual({
      driver: anna,
      position: { lat: 55.9726, lon: 37.4146 },
      due: new Date(w.clock.now().getTime() + 120_000),
    });
  });

  it('has no due when the area sets no driver_due_offset_s', async () => {
    const w = world(testConfig());
    const a = await w.create();
    await w.enter(a.code);
    const r = await w.lookup();
    expect(E.isRight(r) && r.right.candidate?.due).toBeUndefined();
  });

  it.each([
    ['not_found', 'driver_not_found_in_tracker'],
    ['busy', 'driver_busy'],
    ['out_of_area', 'driver_out_of_area'],
  ] as const)('turns the tracker answer %s into the retryable error %s', async (kind, code) => {
    const w = world();
    const a = await w.create();
    w.tracker.script(anna, { kind });
    await w.enter(a.code);
    const r = await w.lookup();
    expect(E.isRight(r) && r.right).toEqual({ assignment: expect.objectContaining({ status: 'error', errorCode: code }) });
  });

  it('leaves processing as it is when the tracker is unavailable', async () => {
    const w = world();
    const a = await w.create();
    w.tracker.script(anna, { kind: 'unavailable', retryAfterS: 3 });
    await w.enter(a.code);
    expect(E.isLeft(await w.lookup()) && (await w.lookup())).toEqual(E.left({ code: 'tracker_unavailable', retryAfterS: 3 }));
    expect((await w.repository.findByOrder(orderId('o1')))?.status).toBe('processing');
  });

  it('refuses an assignment that is not in processing, and an unknown order', async () => {
    const w = world();
    await w.create();
    expect(await w.lookup()).toEqual(E.left({ code: 'assignment_not_processing', assignmentStatus: 'pending' }));
    expect(errorCode(await w.lookup('nope'))).toBe('assignment_not_found');
  });

  it('is too late after processing_timeout_s', async () => {
    const w = world();
    const a = await w.create();
    await w.enter(a.code);
    w.clock.advanceSeconds(60);
    expect(await w.lookup()).toEqual(E.left({ code: 'assignment_not_processing', assignmentStatus: 'error' }));
  });

  it('refuses when processing is disabled', async () => {
    const w = world();
    await w.create();
    w.source.set(testConfig({ processingEnabled: false }));
    expect(errorCode(await w.lookup())).toBe('processing_disabled');
  });
});

describe('driver status', () => {
  it('is scoped to the driver', async () => {
    const w = world();
    const a = await w.create();
    w.tracker.script(anna, { kind: 'busy' });
    await w.enter(a.code);
    await w.lookup();
    await w.enter(a.code, boris);
    expect(await w.status('o1', anna)).toEqual(
      E.right(expect.objectContaining({ kind: 'earlier_attempt', errorCode: 'driver_busy' })),
    );
    expect(await w.status('o1', boris)).toEqual(E.right(expect.objectContaining({ kind: 'current', status: 'processing' })));
    expect(errorCode(await w.status('o1', driver('p', 'x')))).toBe('assignment_not_found');
    expect(errorCode(await w.status('nope', anna))).toBe('assignment_not_found');
  });

  it('applies a due timeout when read', async () => {
    const w = world();
    const a = await w.create();
    await w.enter(a.code);
    w.clock.advanceSeconds(60);
    expect(await w.status()).toEqual(E.right(expect.objectContaining({ status: 'error', errorCode: 'processing_timeout' })));
  });

  it('refuses when processing is disabled', async () => {
    const w = world(testConfig({ processingEnabled: false }));
    expect(errorCode(await w.status())).toBe('processing_disabled');
  });
});

describe('cancel', () => {
  it('cancels and keeps the reason; is idempotent', async () => {
    const w = world();
    await w.create();
    const r = await w.cancel('o1', 'passenger left');
    expect(E.isRight(r) && r.right).toMatchObject({ status: 'error', errorCode: 'order_cancelled' });
    expect(E.isRight(r) && r.right.changes.at(-1)?.reason).toBe('passenger left');
    const again = await w.cancel('o1');
    expect(E.isRight(again) && again.right.changes).toHaveLength(2);
  });

  it('answers an expired order with its state', async () => {
    const w = world();
    await w.create();
    w.clock.advanceSeconds(1800);
    expect(await w.cancel()).toEqual(E.right(expect.objectContaining({ errorCode: 'expired' })));
  });

  it('refuses after assigned, and an unknown order', async () => {
    const w = world();
    const a = await w.create();
    await w.enter(a.code);
    await w.lookup();
    expect(errorCode(await w.cancel())).toBe('order_already_assigned');
    expect(errorCode(await w.cancel('nope'))).toBe('assignment_not_found');
  });
});

describe('sweep', () => {
  it('expires pending codes and times out processing ones, once', async () => {
    const w = world();
    await w.create('o1');
    const b = await w.create('o2');
    await w.enter(b.code);
    w.clock.advanceSeconds(61);
    expect(await w.dispatch.sweep.execute()()).toEqual(E.right({ expired: 0, timedOut: 1 }));
    w.clock.advanceSeconds(1800);
    expect(await w.dispatch.sweep.execute()()).toEqual(E.right({ expired: 2, timedOut: 0 }));
    expect(await w.dispatch.sweep.execute()()).toEqual(E.right({ expired: 0, timedOut: 0 }));
  });

  it('never moves a record twice when sweeps run at once', async () => {
    const w = world();
    for (let i = 0; i < 20; i++) await w.create(`o${i}`);
    w.clock.advanceSeconds(1800);
    const reports = await Promise.all([w.dispatch.sweep.execute()(), w.dispatch.sweep.execute()()]);
    const total = reports.reduce((n, r) => n + (E.isRight(r) ? r.right.expired : 0), 0);
    expect(total).toBe(20);
    for (const a of w.repository.all()) expect(a.changes.filter((c) => c.errorCode === 'expired')).toHaveLength(1);
  });
});

describe('infrastructure failures', () => {
  it('become storage_unavailable, not exceptions', async () => {
    const w = world();
    w.repository.findByOrder = () => Promise.reject(new Error('connection refused'));
    const r = await w.cancel();
    expect(errorCode(r)).toBe('storage_unavailable');
  });
});

describe('get assignment', () => {
  it('returns the whole record with its change log, settled', async () => {
    const w = world();
    await w.create();
    w.clock.advanceSeconds(1800);
    const r = await w.dispatch.getAssignment.execute(orderId('o1'))();
    expect(E.isRight(r) && r.right.changes.map((c) => c.to)).toEqual(['pending', 'error']);
    expect(errorCode(await w.dispatch.getAssignment.execute(orderId('nope'))())).toBe('assignment_not_found');
  });
});
