/**
 * A PostgreSQL restart under load (issue 8, item 13): the service process on
 * a throwaway server of its own, which the test restarts while creates and
 * reads run. The process must stay up, answer 503 during the outage (never
 * 500, never hang), be ready again after it, hear NOTIFY again (a long-poll
 * waiting across the restart is woken by a change made outside the process),
 * and keep every create it acknowledged. The restart is `pg_ctl -m fast stop`
 * then `start`, so that the test's own requests surely meet the outage.
 */
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as E from 'fp-ts/Either';
import { sql } from 'kysely';
import {
  CodeDispatchProblem,
  CodeDispatchUnexpectedResponse,
  createClient,
  type Auth,
  type CodeDispatchClient,
} from '@codedispatch/client';
import { driver, orderId, SystemClock } from '@codedispatch/core';
import { createUseCases } from '@codedispatch/core/adapter';
import {
  FixedExperiments,
  InMemoryDriverTracker,
  SeededCodeRandom,
  StaticConfigSource,
  testConfig,
} from '@codedispatch/core/testing';
import { ChangeNotifier, KyselyAssignmentRepository, openDatabase, type DatabaseHandle } from '@codedispatch/postgres';
import { driverJwt, JWT_SECRET, SERVICE_TOKEN } from './__tests__/harness';
import { freePort, spawnService, untilReady, waitFor } from './__tests__/service-process';
// The fault tests and the chaos run share one throwaway server.
import { ThrowawayPostgres } from '../../../tools/simulator/src/throwaway-postgres';

const POOL_SIZE = 4;
/** How long any request may take, outage or not: the connect timeout (1 s) and then some. */
const REQUEST_BOUND_MS = 5_000;
const TEST_CONNECTIONS = 'outage-test';

interface Answer {
  readonly kind: 'create' | 'read';
  readonly orderId: string;
  readonly status: number | 'no answer';
  readonly ms: number;
  readonly at: number;
}

if (!ThrowawayPostgres.available) {
  console.warn('outage test skipped: the PostgreSQL 15 binaries are not in /usr/lib/postgresql/15/bin');
}

(ThrowawayPostgres.available ? describe : describe.skip)('a PostgreSQL restart under load', () => {
  let pg: ThrowawayPostgres | null = null;
  let child: ChildProcess | null = null;
  let observer: DatabaseHandle | null = null;
  let loading = true;
  const dir = mkdtempSync(join(tmpdir(), 'codedispatch-outage-'));

  afterAll(async () => {
    loading = false;
    if (child !== null && child.exitCode === null) {
      const exited = new Promise((r) => child?.once('exit', r));
      child.kill('SIGKILL');
      await exited;
    }
    await observer?.close();
    await pg?.destroy();
    rmSync(dir, { recursive: true, force: true });
  });

  it('keeps the process up, answers 503 meanwhile, comes back with LISTEN, and loses no acknowledged create', async () => {
    pg = await ThrowawayPostgres.start();
    const server = pg;
    writeFileSync(
      join(dir, 'config.yaml'),
      [
        'areas: {svo_d: {processing_timeout_s: 3600}}',
        `auth: {service_tokens: {ordercommit: "${SERVICE_TOKEN}"}, driver_jwt: {hs256_secret: "${JWT_SECRET}"}}`,
        'tracker: {kind: memory}',
        // Nobody takes the events: the relay keeps retrying, and an entered code stays in processing.
        'processing_queue: {sink: webhook, webhook_url: "http://127.0.0.1:9/events", webhook_secret: "s"}',
      ].join('\n'),
    );
    const port = await freePort();
    const base = `http://127.0.0.1:${port}`;
    let stderr = '';
    const service = spawnService(
      {
        PORT: String(port),
        CODEDISPATCH_CONFIG: join(dir, 'config.yaml'),
        DATABASE_URL: server.url(),
        DATABASE_POOL_SIZE: String(POOL_SIZE),
        DATABASE_CONNECT_TIMEOUT_MS: '1000',
        LOG_LEVEL: 'error',
      },
      'pipe',
    );
    child = service;
    service.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
    const alive = (): boolean => service.exitCode === null && service.signalCode === null;
    await untilReady(base);
    observer = await openDatabase({ databaseUrl: server.url(TEST_CONNECTIONS) });
    const db = observer.db;

    /**
     * One call through a client of its own, without retries (a 503 must reach the test) and bounded in
     * time: the HTTP status the service answered, or 'no answer', and what the client made of it.
     */
    const attempt = async <T>(
      auth: Auth,
      call: (cd: CodeDispatchClient, signal: AbortSignal) => Promise<T>,
    ): Promise<{ readonly status: number | 'no answer'; readonly value?: T; readonly error?: unknown }> => {
      let status: number | 'no answer' = 'no answer';
      const cd = createClient({
        baseUrl: base,
        auth,
        retry: false,
        fetch: async (input, init) => {
          const res = await fetch(input, init);
          status = res.status;
          return res;
        },
      });
      try {
        const value = await call(cd, AbortSignal.timeout(REQUEST_BOUND_MS));
        return { status, value };
      } catch (error) {
        // An answer the client turned into an error keeps its status; anything else (refused, reset, timed out) had none.
        const answeredWith =
          error instanceof CodeDispatchProblem || error instanceof CodeDispatchUnexpectedResponse ? status : 'no answer';
        return { status: answeredWith, error };
      }
    };
    const serviceAuth = { kind: 'service', token: SERVICE_TOKEN } as const;

    // ---- load: workers creating orders and reading them back, until told to stop
    const answers: Answer[] = [];
    let sequence = 0;
    const timed = async (
      kind: Answer['kind'],
      id: string,
      call: (cd: CodeDispatchClient, signal: AbortSignal) => Promise<unknown>,
    ): Promise<Answer> => {
      const started = Date.now();
      const { status } = await attempt(serviceAuth, call);
      const answer = { kind, orderId: id, status, ms: Date.now() - started, at: Date.now() };
      answers.push(answer);
      return answer;
    };
    const worker = async (w: number): Promise<void> => {
      const mine: string[] = [];
      while (loading) {
        const id = `load-${w}-${++sequence}`;
        const created = await timed('create', id, (cd, signal) =>
          cd.orders.create({ order_id: id, area_id: 'svo_d' }, { signal }),
        );
        // Read back one of this worker's acknowledged orders.
        if (created.status === 200) mine.push(id);
        const read = mine[Math.floor(mine.length / 2)];
        if (read !== undefined) await timed('read', read, (cd, signal) => cd.orders.get(read, { signal }));
      }
    };
    const workers = Array.from({ length: 12 }, (_, w) => worker(w));

    // ---- the pool holds DATABASE_POOL_SIZE connections, plus one for LISTEN
    let peak = 0;
    for (let i = 0; i < 20; i++) {
      const { rows } = await sql<{ n: string }>`
        select count(*) as n from pg_stat_activity
        where backend_type = 'client backend' and application_name <> ${TEST_CONNECTIONS}`.execute(db);
      peak = Math.max(peak, Number(rows[0]?.n));
      await new Promise((r) => setTimeout(r, 50));
    }
    expect(peak).toBeLessThanOrEqual(POOL_SIZE + 1);
    expect(peak).toBeGreaterThanOrEqual(POOL_SIZE);

    // ---- a driver's long-poll, waiting when the server goes away
    const orders = createClient({ baseUrl: base, auth: serviceAuth, retry: false });
    const { code } = await orders.orders.create({ order_id: 'waited', area_id: 'svo_d' });
    const vera: Auth = { kind: 'driver', jwt: await driverJwt(driver('park-1', 'vera')) };
    const entered = await attempt(vera, (cd, signal) => cd.driver.enterCode({ area_id: 'svo_d', code }, { signal }));
    expect(entered).toMatchObject({ status: 200, value: { order_id: 'waited', status: 'processing' } });
    // Not bounded: it waits across the outage.
    const longPoll = attempt(vera, (cd) => cd.driver.status('waited', { waitMs: 10_000 }));
    await new Promise((r) => setTimeout(r, 300)); // the long-poll is waiting

    // ---- the restart
    const down = Date.now();
    await server.stop();
    const [probes, ready] = await Promise.all([
      Promise.all([
        attempt(serviceAuth, (cd, signal) => cd.orders.create({ order_id: 'during-outage', area_id: 'svo_d' }, { signal })),
        attempt(serviceAuth, (cd, signal) => cd.orders.get('waited', { signal })),
        attempt(vera, (cd, signal) => cd.driver.enterCode({ area_id: 'svo_d', code }, { signal })),
      ]),
      // Readiness is not an operation of the API: asked by hand.
      fetch(`${base}/ready`, { signal: AbortSignal.timeout(REQUEST_BOUND_MS) }),
    ]);
    expect([...probes.map((p) => p.status), ready.status]).toEqual([503, 503, 503, 503]);
    expect(probes.map((p) => p.error)).toEqual([
      expect.any(CodeDispatchProblem),
      expect.any(CodeDispatchProblem),
      expect.any(CodeDispatchProblem),
    ]);
    expect(probes[0]?.error).toMatchObject({ status: 503, code: 'storage_unavailable' });
    await server.start();
    const up = Date.now();

    // ---- LISTEN comes back by itself; a change made outside the process wakes the long-poll
    const listening = await waitFor(
      'the service to LISTEN again (or die)',
      async () => {
        if (!alive()) return 'died';
        const { rows } = await sql<{ n: string }>`
          select count(*) as n from pg_stat_activity where query like 'listen %' and application_name <> ${TEST_CONNECTIONS}`.execute(
          db,
        );
        return Number(rows[0]?.n) > 0 ? 'listening' : undefined;
      },
      15_000,
    );
    expect({ listening, stderr }).toEqual({ listening: 'listening', stderr: '' });
    const outside = createUseCases({
      repository: new KyselyAssignmentRepository(db),
      tracker: new InMemoryDriverTracker(),
      experiments: new FixedExperiments(true),
      clock: new SystemClock(),
      random: new SeededCodeRandom(),
      config: new StaticConfigSource(testConfig()),
    });
    const cancelled = await outside.cancelOrder.execute({ orderId: orderId('waited'), service: 'outside' })();
    expect(E.isRight(cancelled)).toBe(true);
    // Writes do not NOTIFY: a writer outside the service announces what it changed, as the service does.
    const announcer = new ChangeNotifier({ db, listen: () => Promise.resolve(async () => undefined) });
    announcer.announce('waited');
    await announcer.flush();
    const changedAt = Date.now();
    const woken = await longPoll;
    const wokenAt = Date.now();
    expect(woken).toMatchObject({
      status: 200,
      value: { order_id: 'waited', status: 'error', error_code: 'order_cancelled' },
    });
    expect(wokenAt - changedAt).toBeLessThan(2_000);

    // ---- ready again, and serving again
    await untilReady(base, 15_000);
    const readyAt = Date.now();
    await waitFor('creates to succeed again', async () =>
      answers.some((a) => a.kind === 'create' && a.at > readyAt && a.status === 200) ? true : undefined,
    );
    loading = false;
    await Promise.all(workers);

    expect({ alive: alive(), stderr }).toEqual({ alive: true, stderr: '' });
    // Only 200, or 503 while the server was away: no 500, no request left unanswered.
    expect(answers.filter((a) => a.status !== 200 && a.status !== 503)).toEqual([]);
    expect(Math.max(...answers.map((a) => a.ms))).toBeLessThan(REQUEST_BOUND_MS);

    // ---- every create answered 200 is in the database
    const acknowledged = answers.filter((a) => a.kind === 'create' && a.status === 200).map((a) => a.orderId);
    const stored = await db
      .selectFrom('code_dispatch.assignments')
      .select('order_id')
      .where('order_id', 'in', acknowledged)
      .execute();
    expect(stored).toHaveLength(acknowledged.length);
    console.log(
      `outage: ${answers.length} requests, ${answers.filter((a) => a.status === 503).length} answered 503, ` +
        `outage ${up - down} ms, ready again ${readyAt - up} ms after it, slowest request ${Math.max(...answers.map((a) => a.ms))} ms`,
    );
  }, 120_000);
});
