import { createCodeDispatch } from './code-dispatch';
import { decodeConfig, formatConfigIssues } from './config/codec';
import { SystemClock, WebCryptoCodeRandom } from './system';
import { areaSettings, FixedClock, InMemoryDriverTracker, memoryStore, StaticConfigSource, testConfig } from './testing';

/*
 * The embedding entry point: defaults for the clock, the random source and
 * the experiment; plain promises of `Outcome`s; the REST answer's extras
 * (the code as displayed, the passenger instructions).
 */

const config = testConfig({
  areas: [
    areaSettings('svo_d', { instructions: { en: 'Tell this code to the driver', ru: 'Назовите этот код водителю' } }),
    areaSettings('quiet', { instructions: {} }),
  ],
});
const DRIVER = { parkDbId: 'park1', driverId: 'd1' };

describe('createCodeDispatch', () => {
  it('runs the whole flow in memory with nothing but a store, a configuration and a tracker', async () => {
    const dispatch = createCodeDispatch({ store: memoryStore(), config, tracker: new InMemoryDriverTracker() });
    const created = await dispatch.createOrder({ orderId: 'o1', areaId: 'svo_d', userId: 'u1', service: 'orders', locale: 'ru' });
    if (!created.ok) throw new Error(created.error.code);
    const { assignment, codeDisplay, instructions } = created.value;
    expect(assignment.status).toBe('pending');
    expect(codeDisplay).toBe(`${assignment.code.slice(0, 3)} ${assignment.code.slice(3)}`);
    expect(instructions).toBe('Назовите этот код водителю');

    const entered = await dispatch.enterCode({ areaId: 'svo_d', code: codeDisplay, driver: DRIVER });
    expect(entered).toEqual({ ok: true, value: expect.objectContaining({ status: 'processing' }) });
    const seen = await dispatch.driverStatus({ orderId: 'o1', driver: DRIVER });
    expect(seen).toEqual({ ok: true, value: expect.objectContaining({ orderId: 'o1', status: 'processing' }) });
    const looked = await dispatch.lookupDriver({ orderId: 'o1', service: 'processing' });
    expect(looked.ok && looked.value.assignment.status).toBe('assigned');
    expect(await dispatch.getAssignment('o1')).toEqual({ ok: true, value: expect.objectContaining({ status: 'assigned' }) });
    expect(await dispatch.sweep()).toEqual({ ok: true, value: { expired: 0, timedOut: 0 } });
  });

  it('takes a configuration decoded from a document, as docs/embedding.md shows', async () => {
    const decoded = decodeConfig({ areas: { svo_d: { instructions: { en: 'Tell this code to the driver' } } } });
    if (decoded._tag === 'Left') throw new Error(formatConfigIssues(decoded.left));
    const dispatch = createCodeDispatch({ store: memoryStore(), config: decoded.right, tracker: new InMemoryDriverTracker() });
    const created = await dispatch.createOrder({ orderId: 'o1', areaId: 'svo_d', service: 'orders' });
    expect(created.ok && created.value.instructions).toBe('Tell this code to the driver');
    expect(decodeConfig({ tracker: { kind: 'memory' } })).toEqual({
      _tag: 'Left',
      left: [{ path: 'tracker', message: 'unknown key' }],
    });
  });

  it('answers domain failures as values, with the codes the REST service maps to problem documents', async () => {
    const dispatch = createCodeDispatch({ store: memoryStore(), config, tracker: new InMemoryDriverTracker() });
    expect(await dispatch.createOrder({ orderId: 'o1', areaId: 'nowhere', service: 'orders' })).toEqual({
      ok: false,
      error: expect.objectContaining({ code: 'area_not_found' }),
    });
    expect(await dispatch.enterCode({ areaId: 'svo_d', code: '12', driver: DRIVER })).toEqual({
      ok: false,
      error: expect.objectContaining({ code: 'invalid_code_format' }),
    });
    expect(await dispatch.cancelOrder({ orderId: 'missing', service: 'orders' })).toEqual({
      ok: false,
      error: expect.objectContaining({ code: 'assignment_not_found' }),
    });
    const created = await dispatch.createOrder({ orderId: 'o2', areaId: 'quiet', service: 'orders' });
    expect(created.ok && 'instructions' in created.value).toBe(false);
  });

  it('throws a TypeError naming the field for an id that is not one', async () => {
    const dispatch = createCodeDispatch({ store: memoryStore(), config, tracker: new InMemoryDriverTracker() });
    await expect(dispatch.createOrder({ orderId: '', areaId: 'svo_d', service: 'orders' })).rejects.toThrow(/^orderId must be/);
    await expect(dispatch.driverStatus({ orderId: 'o1', driver: { parkDbId: 'p', driverId: 'x\n' } })).rejects.toThrow(
      /^driver.driverId must be/,
    );
  });

  it('takes a configuration source that follows reloads, and the ports given instead of the defaults', async () => {
    const source = new StaticConfigSource(config);
    const clock = new FixedClock('2026-11-26T10:00:00.000Z');
    const dispatch = createCodeDispatch({ store: memoryStore(), config: source, tracker: new InMemoryDriverTracker(), clock });
    const created = await dispatch.createOrder({ orderId: 'o1', areaId: 'svo_d', service: 'orders' });
    expect(created.ok && created.value.assignment.createdAt.toISOString()).toBe('2026-11-26T10:00:00.000Z');
    source.set(testConfig({ areas: [], processingEnabled: false }));
    expect(await dispatch.createOrder({ orderId: 'o2', areaId: 'svo_d', service: 'orders' })).toEqual({
      ok: false,
      error: expect.objectContaining({ code: 'area_not_found' }),
    });
  });
});

describe('the default adapters', () => {
  it('SystemClock tells the time', () => {
    const before = Date.now();
    const now = new SystemClock().now().getTime();
    expect(now).toBeGreaterThanOrEqual(before);
    expect(now).toBeLessThanOrEqual(Date.now());
  });

  it('WebCryptoCodeRandom draws uniformly below small and large bounds, and refuses others', () => {
    const random = new WebCryptoCodeRandom();
    const counts = new Array<number>(10).fill(0);
    for (let i = 0; i < 20_000; i++) {
      const x = random.int(10);
      counts[x] = (counts[x] ?? 0) + 1;
    }
    for (const n of counts) expect(Math.abs(n - 2_000)).toBeLessThan(250);
    const big = 3 * 2 ** 40;
    let high = 0;
    for (let i = 0; i < 2_000; i++) {
      const x = random.int(big);
      expect(Number.isInteger(x) && x >= 0 && x < big).toBe(true);
      if (x >= big / 2) high++;
    }
    expect(Math.abs(high - 1_000)).toBeLessThan(150);
    for (const bad of [0, -1, 1.5, 2 ** 48, Number.NaN]) expect(() => random.int(bad)).toThrow(RangeError);
  });
});
