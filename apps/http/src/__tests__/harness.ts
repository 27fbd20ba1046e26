import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { randomBytes } from 'node:crypto';
import * as E from 'fp-ts/Either';
import { SignJWT } from 'jose';
import { Client } from 'pg';
import request from 'supertest';
import type { Client as FeatureClient } from '@openfeature/server-sdk';
import { Writable } from 'node:stream';
import winston from 'winston';
import {
  DEFAULT_GENERATOR,
  driver,
  formatConfigIssues,
  type AssignmentRepository,
  type Clock,
  type Driver,
} from '@codedispatch/core';
import { codeAt } from '@codedispatch/core/adapter';
import { InMemoryDriverTracker } from '@codedispatch/core/testing';
import { migrateToLatest, openDatabase, type DatabaseHandle } from '@codedispatch/postgres';
import type { ClosableEventSink, OutboxEvent } from '@codedispatch/processing-queue';
import { createApp } from '../app';
import { buildContainer } from '../container';
import { configFromDocument, documentVersion, type LoadedConfig } from '../config/load-config';
import { ReloadableConfigSource } from '../config/reloadable-config-source';
import type { AppDeps } from '../http/routes/deps';
import { createLogger } from '../observability/logger';
import { Metrics } from '../observability/metrics';
import type { Background } from '../runtime/background';
import type { EntryOutcomeTally } from '../operations/entry-outcome-tally';
import { TOKENS } from '../tokens';
import { conforms } from './contract';

/*
 * End-to-end test support: an instance of the service (container, express
 * app, real HTTP server on a free port) on PGlite in memory, or on a fresh
 * database of the real server when TEST_DATABASE_URL is set.
 */

export const SERVICE_TOKEN = 'svc-token-ordercommit-0001';
export const PROCESSING_TOKEN = 'svc-token-processing-0002';
export const JWT_SECRET = 'test-driver-jwt-secret-0123456789';
export const GATEWAY_TOKEN = 'gateway-token-0003';
export const OPERATOR_TOKEN = 'operator-token-alice-0004';

export type StorageKind = 'pglite' | 'postgres';

/** PGlite always; the real server too when TEST_DATABASE_URL is set. */
export const STORAGES: readonly StorageKind[] = process.env.TEST_DATABASE_URL ? ['pglite', 'postgres'] : ['pglite'];

/** The test configuration document (snake_case, as an operator writes it). */
export const testDocument = (overrides: Record<string, unknown> = {}): Record<string, unknown> => ({
  processing_enabled: true,
  experiment: {
    enabled: true,
    areas: ['svo_d', 'zenit', 'closed', 'tiny', 'fast', 'strict'],
    rollout_percent: 100,
    deny_users: ['denied-user'],
  },
  areas: {
    svo_d: {
      instructions: {
        ru: 'Назовите код водителю первой машины в очереди',
        en: 'Tell this code to the driver of the first car in the queue',
      },
      driver_due_offset_s: 120,
    },
    zenit: { generator: { length: 5 } },
    closed: { enabled: false },
    outside: {},
    tiny: { generator: { length: 2, group: [2] }, code_reuse_cooldown_s: 0 },
    fast: { processing_timeout_s: 1 },
    strict: { max_failed_attempts: 2, attempts_window_s: 600 },
  },
  auth: {
    service_tokens: { ordercommit: SERVICE_TOKEN, processing: PROCESSING_TOKEN },
    driver_jwt: { hs256_secret: JWT_SECRET },
    gateway_token: GATEWAY_TOKEN,
    operator_tokens: { alice: OPERATOR_TOKEN },
  },
  tracker: { kind: 'memory' },
  processing_queue: { sink: 'embedded' },
  ...overrides,
});

const loadDocument = (doc: unknown): E.Either<readonly { path: string; message: string }[], LoadedConfig> =>
  E.map((config: LoadedConfig['config']) => ({
    config,
    origin: { kind: 'demo' as const },
    version: documentVersion(JSON.stringify(doc)),
  }))(configFromDocument(doc, {}));

export const loadedOrThrow = (doc: unknown): LoadedConfig => {
  const loaded = loadDocument(doc);
  if (E.isLeft(loaded)) throw new Error(formatConfigIssues(loaded.left));
  return loaded.right;
};

/** Log lines captured in memory, as the JSON objects the service writes. */
export class MemoryTransport extends winston.transports.Stream {
  readonly lines: Record<string, unknown>[];
  constructor() {
    const lines: Record<string, unknown>[] = [];
    super({
      stream: new Writable({
        write(chunk: Buffer, _encoding, done) {
          for (const line of chunk.toString('utf8').split('\n'))
            if (line.trim() !== '') lines.push(JSON.parse(line) as Record<string, unknown>);
          done();
        },
      }),
    });
    this.lines = lines;
  }
  /** Every captured line as text (to check that no secret is logged). */
  text(): string {
    return this.lines.map((l) => JSON.stringify(l)).join('\n');
  }
}

// ------------------------------------------------------------------ storage

export interface TestStorage {
  readonly kind: StorageKind;
  readonly url?: string;
  /** Opens a handle (a second one on the same database, for a second instance). */
  open(): Promise<DatabaseHandle>;
  close(): Promise<void>;
}

/** PGlite in memory (one handle: PGlite is one session), or a fresh database on the real server, dropped at close. */
export const createStorage = async (kind: StorageKind): Promise<TestStorage> => {
  if (kind === 'pglite') {
    const handle = await openDatabase({ pgliteDataDir: 'memory' });
    await migrateToLatest(handle.db);
    return { kind, open: async () => handle, close: () => handle.close() };
  }
  const base = new URL(process.env.TEST_DATABASE_URL as string);
  const name = `cd_http_${randomBytes(6).toString('hex')}`;
  const admin = new Client({ connectionString: base.href });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  await admin.end();
  const url = new URL(base.href);
  url.pathname = `/${name}`;
  const handles: DatabaseHandle[] = [];
  const first = await openDatabase({ databaseUrl: url.href, poolSize: 8 });
  await migrateToLatest(first.db);
  handles.push(first);
  let opened = 0;
  return {
    kind,
    url: url.href,
    open: async () => {
      if (opened++ === 0) return first;
      const handle = await openDatabase({ databaseUrl: url.href, poolSize: 8 });
      handles.push(handle);
      return handle;
    },
    close: async () => {
      for (const h of handles) await h.close().catch(() => undefined);
      const dropper = new Client({ connectionString: base.href });
      await dropper.connect();
      await dropper.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await dropper.end();
    },
  };
};

// ----------------------------------------------------------------- instances

export interface InstanceOptions {
  readonly document?: Record<string, unknown>;
  readonly database?: DatabaseHandle;
  /** A scripted in-memory tracker (default), or `configured`: the one the document names. */
  readonly tracker?: InMemoryDriverTracker | 'configured';
  readonly openFeatureClient?: FeatureClient;
  readonly sink?: ClosableEventSink;
  readonly repository?: AssignmentRepository;
  readonly clock?: Clock;
  /** Start the change notifier and the worker: sweeps, relay, housekeeping (default true). */
  readonly background?: boolean;
  readonly sweepIntervalMs?: number;
}

export interface Instance {
  readonly server: Server;
  readonly deps: AppDeps;
  readonly config: ReloadableConfigSource;
  readonly tracker: InMemoryDriverTracker;
  readonly logs: MemoryTransport;
  readonly background: Background;
  readonly metrics: Metrics;
  /** Writes the entry-outcome tally's counts now (it does every 5 s); nothing without a database. */
  flushTally(): Promise<void>;
  /** Replaces the configuration document (as a reload would). */
  setDocument(doc: Record<string, unknown>): E.Either<unknown, unknown>;
  get(path: string): request.Test;
  post(path: string): request.Test;
  call(method: 'get' | 'post' | 'put' | 'delete' | 'patch' | 'options', path: string): request.Test;
  close(): Promise<void>;
}

export const startInstance = async (options: InstanceOptions = {}): Promise<Instance> => {
  let document = options.document ?? testDocument();
  const logs = new MemoryTransport();
  const logger = createLogger({ transports: [logs], level: 'debug' });
  const config = new ReloadableConfigSource(loadedOrThrow(document), () => loadDocument(document), logger);
  const tracker =
    options.tracker === undefined || options.tracker === 'configured' ? new InMemoryDriverTracker() : options.tracker;
  const metrics = new Metrics();
  const container = buildContainer({
    config,
    logger,
    metrics,
    ...(options.tracker !== 'configured' ? { tracker } : {}),
    ...(options.openFeatureClient !== undefined ? { openFeatureClient: options.openFeatureClient } : {}),
    ...(options.database !== undefined ? { database: options.database } : {}),
    ...(options.sink !== undefined ? { sink: options.sink } : {}),
    ...(options.repository !== undefined ? { repository: options.repository } : {}),
    ...(options.clock !== undefined ? { clock: options.clock } : {}),
    sweepIntervalMs: options.sweepIntervalMs ?? 100,
    relayPollIntervalMs: 100,
  });
  const deps = container.get<AppDeps>(TOKENS.AppDeps);
  const background = container.get<Background>(TOKENS.Background);
  if (options.background ?? true) await background.start();
  const server = createServer(createApp(deps));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  const base = `http://127.0.0.1:${port}`;
  const call = (method: 'get' | 'post' | 'put' | 'delete' | 'patch' | 'options', path: string): request.Test =>
    request(base)[method](path).expect(conforms);
  return {
    server,
    deps,
    config,
    tracker,
    logs,
    background,
    metrics,
    flushTally: async () => {
      if (options.database !== undefined) await container.get<EntryOutcomeTally>(TOKENS.EntryOutcomeTally).flush();
    },
    setDocument: (doc) => {
      document = doc;
      return config.reload('test');
    },
    get: (path) => call('get', path),
    post: (path) => call('post', path),
    call,
    close: async () => {
      await background.answerWaiters();
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
      await background.stop();
    },
  };
};

// ---------------------------------------------------------------- credentials

export const service = (token = SERVICE_TOKEN): Record<string, string> => ({ Authorization: `Bearer ${token}` });

export const operator = (token = OPERATOR_TOKEN): Record<string, string> => ({ Authorization: `Bearer ${token}` });

export interface JwtOptions {
  readonly secret?: string;
  /** Seconds from now; `null` leaves `exp` out. */
  readonly expiresInS?: number | null;
  readonly claims?: Record<string, unknown>;
}

export const driverJwt = async (d: Driver, options: JwtOptions = {}): Promise<string> => {
  const jwt = new SignJWT({ park_db_id: d.parkDbId, driver_id: d.driverId, ...options.claims })
    .setProtectedHeader({ alg: 'HS256' })
    .setIssuedAt(typeof options.claims?.iat === 'number' ? options.claims.iat : undefined);
  const exp = options.expiresInS === undefined ? 3600 : options.expiresInS;
  if (exp !== null) jwt.setExpirationTime(Math.floor(Date.now() / 1000) + exp);
  return jwt.sign(new TextEncoder().encode(options.secret ?? JWT_SECRET));
};

export const asDriver = async (d: Driver, options: JwtOptions = {}): Promise<Record<string, string>> => ({
  Authorization: `Bearer ${await driverJwt(d, options)}`,
});

export const viaGateway = (d: Driver): Record<string, string> => ({
  Authorization: `Bearer ${GATEWAY_TOKEN}`,
  'X-Park-Id': d.parkDbId,
  'X-Driver-Profile-Id': d.driverId,
});

export const anna = driver('park1', 'anna');
export const boris = driver('park1', 'boris');
export const vera = driver('park2', 'vera');

let sequence = 0;
/** A fresh order id per call (tests share one database per file). */
export const newOrderId = (prefix = 'order'): string => `${prefix}-${process.pid}-${Date.now().toString(36)}-${++sequence}`;

export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

// ------------------------------------------------------------------- helpers

/** A sink that acknowledges and keeps events: processing stays until a test runs the lookup itself. */
export class RecordingSink implements ClosableEventSink {
  readonly events: OutboxEvent[] = [];
  async deliver(event: OutboxEvent): Promise<void> {
    this.events.push(event);
  }
  async close(): Promise<void> {}
}

let drivers = 0;
/** A fresh driver per call: attempt limits and the one-processing rule are per driver. */
export const newDriver = (park = 'park1'): Driver => driver(park, `driver-${process.pid}-${++drivers}`);

/** Outbox rows of an order (processing events written). */
export const outboxCount = async (handle: DatabaseHandle, orderId: string): Promise<number> => {
  const row = await handle.db
    .selectFrom('code_dispatch.outbox')
    .select((eb) => eb.fn.countAll<string>().as('n'))
    .where('order_id', '=', orderId)
    .executeTakeFirstOrThrow();
  return Number(row.n);
};

export const assignmentCount = async (handle: DatabaseHandle): Promise<number> => {
  const row = await handle.db
    .selectFrom('code_dispatch.assignments')
    .select((eb) => eb.fn.countAll<string>().as('n'))
    .executeTakeFirstOrThrow();
  return Number(row.n);
};

/** A code of the default generator (valid format and checksum) that is not issued: index chosen far from random draws. */
export const unissuedCode = (n: number): string => codeAt(DEFAULT_GENERATOR, 50_000 + n * 7);

export interface Created {
  readonly order_id: string;
  readonly area_id: string;
  readonly code: string;
  readonly code_display: string;
  readonly status: string;
  readonly expires_at: string;
  readonly instructions?: string;
}

export const createOrder = async (inst: Instance, areaId = 'svo_d', orderId = newOrderId()): Promise<Created> => {
  const res = await inst.post('/v1/order/create').set(service()).send({ order_id: orderId, area_id: areaId });
  if (res.status !== 200) throw new Error(`create failed: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body as Created;
};

export const enterCode = async (
  inst: Instance,
  d: Driver,
  areaId: string,
  code: string,
  waitMs?: number,
): Promise<request.Response> =>
  inst
    .post('/v1/order/assign')
    .set(await asDriver(d))
    .send({ area_id: areaId, code, ...(waitMs !== undefined ? { wait_ms: waitMs } : {}) });

export const lookup = (inst: Instance, orderId: string, token = PROCESSING_TOKEN): Promise<request.Response> =>
  inst
    .post('/v1/drivers-lookup')
    .set(service(token))
    .send({ order_id: orderId })
    .then((r) => r);

export const status = async (inst: Instance, d: Driver, orderId: string, waitMs?: number): Promise<request.Response> =>
  inst
    .get('/v1/assignment/status')
    .query({ order_id: orderId, ...(waitMs !== undefined ? { wait_ms: String(waitMs) } : {}) })
    .set(await asDriver(d));

export const record = (inst: Instance, orderId: string): Promise<request.Response> =>
  inst
    .get(`/v1/assignments/${encodeURIComponent(orderId)}`)
    .set(service())
    .then((r) => r);

/** Awaits a response and checks its status, showing the body when it differs. */
export const expectStatus = async (
  pending: Promise<request.Response> | request.Test,
  expected: number,
): Promise<request.Response> => {
  const res = await pending;
  if (res.status !== expected) throw new Error(`expected ${expected}, got ${res.status}: ${JSON.stringify(res.body)}`);
  return res;
};
