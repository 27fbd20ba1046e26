import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { OpenFeature, TypedInMemoryProvider } from '@openfeature/server-sdk';
import { areaId, driver } from '@codedispatch/core';
import { KyselyAssignmentRepository } from '@codedispatch/postgres';
import { FakeTrackerServer } from '@codedispatch/tracker-http/testing';
import {
  createOrder,
  createStorage,
  enterCode,
  expectStatus,
  lookup,
  newDriver,
  newOrderId,
  record,
  RecordingSink,
  service,
  sleep,
  startInstance,
  status,
  testDocument,
  type Instance,
} from './__tests__/harness';

/*
 * The composition root chooses adapters from the configuration: these tests
 * run without a database (the in-memory repository) to check the choices,
 * except the housekeeping, which is the database's.
 */
describe('the container', () => {
  it('prunes, in the housekeeping at start, attempt counts older than every area’s window', async () => {
    const storage = await createStorage('pglite');
    try {
      const database = await storage.open();
      const repo = new KyselyAssignmentRepository(database.db);
      const limit = { since: new Date(0), maxFailures: 5 };
      const [stale, recent] = [driver('park1', 'stale'), driver('park1', 'recent')];
      // The longest window of the test configuration is 600 s; kept 60 s more.
      await repo.reserveAttempt({ areaId: areaId('strict'), driver: stale, at: new Date(Date.now() - 661_000) }, limit);
      await repo.reserveAttempt({ areaId: areaId('strict'), driver: recent, at: new Date(Date.now() - 600_000) }, limit);
      const kept = async () =>
        (await database.db.selectFrom('code_dispatch.driver_attempts').select('driver_id').execute()).map((r) => r.driver_id);
      const inst = await startInstance({ database, sink: new RecordingSink() });
      try {
        // Housekeeping runs beside the start: wait for it, up to 5 s.
        for (let i = 0; i < 100 && (await kept()).length > 1; i++) await sleep(50);
        expect(await kept()).toEqual(['recent']);
      } finally {
        await inst.close();
      }
    } finally {
      await storage.close();
    }
  });

  it('runs the whole API on the in-memory repository when no database is given', async () => {
    const inst = await startInstance({ background: false });
    try {
      const order = await createOrder(inst);
      const anna = newDriver();
      await expectStatus(enterCode(inst, anna, 'svo_d', order.code), 200);
      expect((await expectStatus(lookup(inst, order.order_id), 200)).body.status).toBe('assigned');
      expect((await status(inst, anna, order.order_id)).body.status).toBe('assigned');
      expect((await record(inst, order.order_id)).body.changes).toHaveLength(3);
      await inst.get('/ready').expect(200);
    } finally {
      await inst.close();
    }
  });

  describe('with tracker kind http', () => {
    const tracker = new FakeTrackerServer();
    beforeAll(() => tracker.start());
    afterAll(() => tracker.close());

    const start = () =>
      startInstance({
        background: false,
        tracker: 'configured',
        document: testDocument({ tracker: { kind: 'http', url: tracker.url, timeout_ms: 200 } }),
      });

    it('acquires drivers over HTTP and meters the outcomes', async () => {
      const inst = await start();
      try {
        const order = await createOrder(inst);
        const anna = newDriver();
        await expectStatus(enterCode(inst, anna, 'svo_d', order.code), 200);
        const res = await expectStatus(lookup(inst, order.order_id), 200);
        expect(res.body.candidate).toMatchObject({ park_db_id: anna.parkDbId, driver_id: anna.driverId });
        expect(tracker.requests.at(-1)?.body).toEqual({
          park_db_id: anna.parkDbId,
          driver_id: anna.driverId,
          order_id: order.order_id,
          area_id: 'svo_d',
        });

        const busy = newDriver();
        tracker.script(busy, { kind: 'busy' });
        const second = await createOrder(inst);
        await expectStatus(enterCode(inst, busy, 'svo_d', second.code), 200);
        expect((await expectStatus(lookup(inst, second.order_id), 200)).body).toMatchObject({
          status: 'error',
          error_code: 'driver_busy',
        });

        const metrics = await inst.get('/metrics').expect(200);
        expect(metrics.text).toMatch(/codedispatch_tracker_acquire_duration_seconds_count\{outcome="acquired"\} 1/);
        expect(metrics.text).toMatch(/codedispatch_tracker_acquire_duration_seconds_count\{outcome="busy"\} 1/);
      } finally {
        await inst.close();
      }
    });

    it('answers 503 with Retry-After within 2 s when the tracker hangs or fails; the status stays processing', async () => {
      const inst = await start();
      try {
        for (const answer of [{ kind: 'hang' }, { kind: 'status', status: 500 }] as const) {
          const d = newDriver();
          tracker.script(d, answer, answer, answer);
          const order = await createOrder(inst);
          await expectStatus(enterCode(inst, d, 'svo_d', order.code), 200);
          const started = Date.now();
          const res = await expectStatus(lookup(inst, order.order_id), 503);
          expect(Date.now() - started).toBeLessThan(2000);
          expect(res.body.code).toBe('tracker_unavailable');
          expect(Number(res.headers['retry-after'])).toBeGreaterThanOrEqual(1);
          expect((await record(inst, order.order_id)).body.status).toBe('processing');
        }
      } finally {
        await inst.close();
      }
    });
  });

  describe('with an OpenFeature provider', () => {
    afterEach(() => OpenFeature.clearProviders());

    it('asks the flag code_dispatch with the user as targeting key and the area', async () => {
      const provider = new TypedInMemoryProvider({
        code_dispatch: {
          variants: { on: true, off: false },
          defaultVariant: 'off',
          disabled: false,
          contextEvaluator: (ctx) => (ctx.area_id === 'svo_d' && ctx.targetingKey !== 'blocked-user' ? 'on' : 'off'),
        },
      });
      await OpenFeature.setProviderAndWait('codedispatch-test', provider);
      const inst = await startInstance({ background: false, openFeatureClient: OpenFeature.getClient('codedispatch-test') });
      try {
        await inst
          .post('/v1/order/create')
          .set(service())
          .send({ order_id: newOrderId(), area_id: 'svo_d', user_id: 'u1' })
          .expect(200);
        const blocked = await inst
          .post('/v1/order/create')
          .set(service())
          .send({ order_id: newOrderId(), area_id: 'svo_d', user_id: 'blocked-user' })
          .expect(409);
        expect(blocked.body.code).toBe('code_dispatch_disabled');
        // The flag narrows the configured rules: zenit is allowed there, but the flag is off.
        expect(
          (await inst.post('/v1/order/create').set(service()).send({ order_id: newOrderId(), area_id: 'zenit' })).body.code,
        ).toBe('code_dispatch_disabled');
      } finally {
        await inst.close();
      }
    });

    describe('chosen by the configuration: experiment.provider {kind: ofrep}', () => {
      /** A flag service speaking OFREP: code_dispatch is on for users whose key starts with "on-". */
      let flags: Server;
      let flagsUrl: string;
      let asked: Record<string, unknown>[];
      let hang = false;
      beforeAll(async () => {
        flags = createServer((req, res) => {
          let body = '';
          req.on('data', (chunk: Buffer) => (body += chunk.toString()));
          req.on('end', () => {
            if (hang) return; // never answers
            const context = (JSON.parse(body) as { context: Record<string, unknown> }).context;
            asked.push({ path: req.url, ...context });
            const on = String(context.targetingKey).startsWith('on-');
            res.writeHead(200, { 'Content-Type': 'application/json' });
            res.end(JSON.stringify({ key: 'code_dispatch', value: on, reason: 'TARGETING_MATCH', variant: on ? 'on' : 'off' }));
          });
        });
        await new Promise<void>((resolve) => flags.listen(0, '127.0.0.1', resolve));
        flagsUrl = `http://127.0.0.1:${(flags.address() as AddressInfo).port}`;
      });
      beforeEach(() => {
        asked = [];
        hang = false;
      });
      afterAll(async () => {
        flags.closeAllConnections();
        await new Promise((resolve) => flags.close(resolve));
      });

      const withProvider = (provider: Record<string, unknown>, experiment: Record<string, unknown> = {}) =>
        testDocument({ experiment: { enabled: true, areas: ['svo_d', 'zenit'], ...experiment, provider } });
      const create = (inst: Instance, userId: string, areaId = 'svo_d') =>
        inst.post('/v1/order/create').set(service()).send({ order_id: newOrderId(), area_id: areaId, user_id: userId });

      it('asks the flag service with the user and the area, and follows its answer', async () => {
        const inst = await startInstance({ background: false, document: withProvider({ kind: 'ofrep', url: flagsUrl }) });
        try {
          await expectStatus(create(inst, 'on-1'), 200);
          expect((await expectStatus(create(inst, 'off-1'), 409)).body.code).toBe('code_dispatch_disabled');
          expect(asked).toEqual([
            { path: '/ofrep/v1/evaluate/flags/code_dispatch', targetingKey: 'on-1', area_id: 'svo_d' },
            { path: '/ofrep/v1/evaluate/flags/code_dispatch', targetingKey: 'off-1', area_id: 'svo_d' },
          ]);
        } finally {
          await inst.close();
        }
      });

      it('never widens the rules: an area outside the allow-list or enabled: false is off without asking', async () => {
        const inst = await startInstance({ background: false, document: withProvider({ kind: 'ofrep', url: flagsUrl }) });
        try {
          expect((await expectStatus(create(inst, 'on-2', 'closed'), 409)).body.code).toBe('area_disabled');
          expect((await expectStatus(create(inst, 'on-2', 'tiny'), 409)).body.code).toBe('code_dispatch_disabled');
          inst.setDocument(withProvider({ kind: 'ofrep', url: flagsUrl }, { enabled: false }));
          expect((await expectStatus(create(inst, 'on-3'), 409)).body.code).toBe('code_dispatch_disabled');
          expect(asked).toEqual([]);
        } finally {
          await inst.close();
        }
      });

      it('answers off when the flag service is down or slower than timeout_ms (never a 5xx)', async () => {
        const inst = await startInstance({
          background: false,
          document: withProvider({ kind: 'ofrep', url: 'http://127.0.0.1:9', timeout_ms: 200 }),
        });
        try {
          expect((await expectStatus(create(inst, 'on-4'), 409)).body.code).toBe('code_dispatch_disabled');
          inst.setDocument(withProvider({ kind: 'ofrep', url: flagsUrl, timeout_ms: 200 }));
          hang = true;
          const started = Date.now();
          expect((await expectStatus(create(inst, 'on-5'), 409)).body.code).toBe('code_dispatch_disabled');
          expect(Date.now() - started).toBeLessThan(2_000);
          hang = false;
          await expectStatus(create(inst, 'on-6'), 200);
        } finally {
          await inst.close();
        }
      });
    });

    it('is used when a provider is registered globally', async () => {
      await OpenFeature.setProviderAndWait(
        new TypedInMemoryProvider({
          code_dispatch: { variants: { on: true, off: false }, defaultVariant: 'off', disabled: false },
        }),
      );
      const inst = await startInstance({ background: false });
      try {
        expect(
          (await inst.post('/v1/order/create').set(service()).send({ order_id: newOrderId(), area_id: 'svo_d' })).body.code,
        ).toBe('code_dispatch_disabled');
      } finally {
        await inst.close();
      }
    });
  });
});
