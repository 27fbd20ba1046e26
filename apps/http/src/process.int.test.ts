/**
 * The service as a process, against real outside servers: an HTTP tracker
 * and a webhook receiver (SPEC §7). A code entry whose event could not be
 * delivered yet survives a SIGKILL: after a restart the event arrives, signed.
 */
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import { Client } from 'pg';
import { driver } from '@codedispatch/core';
import { FakeTrackerServer } from '@codedispatch/tracker-http/testing';
import { driverJwt, JWT_SECRET, SERVICE_TOKEN } from './__tests__/harness';
import { freePort, spawnService, untilReady, waitFor } from './__tests__/service-process';
import { WebhookReceiver } from './__tests__/webhook-receiver';
import { recordingClients } from './__tests__/recording-clients';

const WEBHOOK_SECRET = 'webhook-secret-for-process-test';

/** Storage for the process: a fresh database on the real server when there is one, else PGlite files. */
const storages: readonly ('pglite' | 'postgres')[] = process.env.TEST_DATABASE_URL ? ['pglite', 'postgres'] : ['pglite'];

describe.each(storages)('the service process on %s', (storage) => {
  const tracker = new FakeTrackerServer();
  // It answers 503 until told to accept.
  const receiver = new WebhookReceiver({ secret: WEBHOOK_SECRET, refuseWith: 503, accepting: false });
  const dir = mkdtempSync(join(tmpdir(), 'codedispatch-process-'));
  let databaseUrl: string | undefined;
  let dbName = '';
  let child: ChildProcess | null = null;
  let base = '';
  const { answered, client } = recordingClients(() => base);

  const startService = async (): Promise<void> => {
    const port = await freePort();
    base = `http://127.0.0.1:${port}`;
    child = spawnService({
      PORT: String(port),
      CODEDISPATCH_CONFIG: join(dir, 'config.yaml'),
      PGLITE_DATA_DIR: join(dir, 'pglite'),
      DATABASE_URL: databaseUrl ?? '',
    });
    await untilReady(base);
  };

  beforeAll(async () => {
    await tracker.start();
    await receiver.start();
    if (storage === 'postgres') {
      dbName = `cd_proc_${randomUUID().replace(/-/g, '').slice(0, 12)}`;
      const admin = new Client({ connectionString: process.env.TEST_DATABASE_URL });
      await admin.connect();
      await admin.query(`create database ${dbName}`);
      await admin.end();
      const url = new URL(process.env.TEST_DATABASE_URL as string);
      url.pathname = `/${dbName}`;
      databaseUrl = url.toString();
    }
    writeFileSync(
      join(dir, 'config.yaml'),
      [
        // A generous processing timeout: a restart on a loaded machine must not time the attempt out.
        'areas: {svo_d: {driver_due_offset_s: 120, processing_timeout_s: 3600}}',
        `auth: {service_tokens: {ordercommit: "${SERVICE_TOKEN}"}, driver_jwt: {hs256_secret: "${JWT_SECRET}"}}`,
        `tracker: {kind: http, url: "${tracker.url}", timeout_ms: 300}`,
        `processing_queue: {sink: webhook, webhook_url: "${receiver.url}", webhook_secret: "${WEBHOOK_SECRET}"}`,
      ].join('\n'),
    );
  }, 120_000);

  afterAll(async () => {
    child?.kill('SIGKILL');
    await tracker.close();
    await receiver.close();
    rmSync(dir, { recursive: true, force: true });
    if (dbName) {
      const admin = new Client({ connectionString: process.env.TEST_DATABASE_URL });
      await admin.connect();
      await admin.query(`drop database if exists ${dbName} with (force)`);
      await admin.end();
    }
  });

  it('delivers the event of a code entry made just before a SIGKILL, and runs the whole flow', async () => {
    await startService();
    const orders = client({ kind: 'service', token: SERVICE_TOKEN });
    const created = await orders.orders.create({ order_id: 'proc-1', area_id: 'svo_d' });
    const anna = driver('park-7', 'anna');
    const annaApp = client({ kind: 'driver', jwt: await driverJwt(anna) });
    const entered = await annaApp.driver.enterCode({ area_id: 'svo_d', code: created.code });
    expect(entered).toMatchObject({ order_id: 'proc-1', status: 'processing' });
    expect(answered).toEqual([200, 200]);

    // Killed right after the commit: the receiver has refused the event so far.
    const killed = child as ChildProcess | null;
    killed?.kill('SIGKILL');
    await new Promise((r) => killed?.once('exit', r));
    expect(receiver.events).toHaveLength(0);

    receiver.accepting = true;
    await startService();
    // The kill may land while the relay is delivering (the receiver refusing): the event is then leased
    // by the dead relay for the lease (60 s) and comes back after it, as designed; wait past it.
    const [event] = await waitFor(
      'the event after the restart',
      async () => (receiver.events.length > 0 ? receiver.events : undefined),
      90_000,
    );
    expect(event).toEqual({
      signed: true,
      body: expect.objectContaining({
        type: 'code_dispatch.code_entered',
        order_id: 'proc-1',
        area_id: 'svo_d',
        park_db_id: 'park-7',
        driver_id: 'anna',
        attempt: 1,
        event_id: expect.stringMatching(/^[0-9a-f-]{36}$/),
      }),
    });

    // Processing's lookup acquires the driver in the (HTTP) tracker; the restarted process has a port of its own.
    const processing = client({ kind: 'service', token: SERVICE_TOKEN });
    const looked = await processing.processing.lookup('proc-1');
    expect(looked).toMatchObject({
      status: 'assigned',
      candidate: { park_db_id: 'park-7', driver_id: 'anna', position: { lat: 55.9726, lon: 37.4146 } },
    });
    expect(answered).toEqual([200, 200, 200]);
    expect(tracker.requests.at(-1)?.body).toEqual({
      park_db_id: 'park-7',
      driver_id: 'anna',
      order_id: 'proc-1',
      area_id: 'svo_d',
    });
    expect(receiver.events).toHaveLength(1);
  }, 240_000);
});

describe('the service process at start', () => {
  it('refuses a bad DATABASE_POOL_SIZE or DATABASE_CONNECT_TIMEOUT_MS, naming them, before opening any database', async () => {
    const child = spawnService(
      {
        PORT: String(await freePort()),
        CODEDISPATCH_CONFIG: '',
        DATABASE_URL: 'postgres://postgres@127.0.0.1:1/never-opened',
        DATABASE_POOL_SIZE: '0',
        DATABASE_CONNECT_TIMEOUT_MS: 'soon',
        LOG_LEVEL: 'error',
      },
      'pipe',
    );
    let stderr = '';
    child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
    const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
    expect(code).toBe(1);
    expect(stderr).toContain('codedispatch: the environment is invalid:');
    expect(stderr).toContain('DATABASE_POOL_SIZE: expected a positive integer, got "0"');
    expect(stderr).toContain('DATABASE_CONNECT_TIMEOUT_MS: expected a positive integer, got "soon"');
  }, 60_000);
});
