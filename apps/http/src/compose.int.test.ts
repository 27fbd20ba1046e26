/**
 * docker-compose.yml, run without Docker: the service and the lookup stand-in
 * start as the compose file says (its commands, its environment, the mounted
 * deploy/codedispatch.yaml), with only the hosts pointed at this machine's
 * PostgreSQL and RabbitMQ. An order made through the API must end assigned,
 * the compose healthcheck must pass, and both must stop within their grace
 * periods.
 */
import { execFileSync, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from 'pg';
import YAML from 'yaml';
import { driver } from '@codedispatch/core';
import { driverJwt } from './__tests__/harness';
import { exited, freePort, ROOT, spawnEntryPoint, waitFor } from './__tests__/service-process';
import { recordingClients } from './__tests__/recording-clients';

const DATABASE = process.env.TEST_DATABASE_URL;
const AMQP = process.env.TEST_AMQP_URL;
if (DATABASE === undefined || AMQP === undefined) {
  process.stderr.write('docker-compose recipe test skipped: it needs TEST_DATABASE_URL and TEST_AMQP_URL\n');
}
const describeCompose = DATABASE === undefined || AMQP === undefined ? describe.skip : describe;

interface ComposeService {
  readonly command?: readonly string[];
  readonly environment?: Readonly<Record<string, string>>;
  readonly healthcheck?: { readonly test: readonly string[] };
  readonly stop_grace_period?: string;
  readonly depends_on?: Readonly<Record<string, { readonly condition: string }>>;
}

const compose = YAML.parse(readFileSync(join(ROOT, 'docker-compose.yml'), 'utf8')) as {
  services: Readonly<Record<string, ComposeService>>;
};
const service = (name: string): ComposeService => {
  const s = compose.services[name];
  if (s === undefined) throw new Error(`docker-compose.yml has no service ${name}`);
  return s;
};
const seconds = (grace: string | undefined): number => Number(/^(\d+)s$/.exec(grace ?? '')?.[1] ?? NaN);

/** The Dockerfile's CMD: what the codedispatch service runs. */
const imageCommand = (): string[] => {
  const cmd = /^CMD (\[.*\])$/m.exec(readFileSync(join(ROOT, 'Dockerfile'), 'utf8'))?.[1];
  if (cmd === undefined) throw new Error('the Dockerfile has no CMD');
  return JSON.parse(cmd) as string[];
};

describeCompose('docker-compose.yml, without Docker', () => {
  const dir = mkdtempSync(join(tmpdir(), 'codedispatch-compose-'));
  const exchange = `codedispatch_compose_${randomUUID().slice(0, 8)}`;
  const dbName = `cd_compose_${randomUUID().replace(/-/g, '').slice(0, 12)}`;
  const children: ChildProcess[] = [];
  let base = '';
  let port = 0;

  /** `host` in a compose URL → this machine's server, from the test URL. */
  const onThisMachine = (composeUrl: string, local: string, path?: string): string => {
    const url = new URL(composeUrl);
    const target = new URL(local);
    url.hostname = target.hostname;
    url.port = target.port;
    url.username = target.username;
    url.password = target.password;
    if (path !== undefined) url.pathname = path;
    return url.toString();
  };

  beforeAll(async () => {
    const admin = new Client({ connectionString: DATABASE });
    await admin.connect();
    await admin.query(`create database ${dbName}`);
    await admin.end();

    const app = service('codedispatch');
    const env = app.environment ?? {};
    port = await freePort();
    base = `http://127.0.0.1:${port}`;
    // The mounted configuration, with this machine's broker and an exchange of this run's own.
    const document = YAML.parse(readFileSync(join(ROOT, 'deploy/codedispatch.yaml'), 'utf8')) as {
      processing_queue: { amqp_url: string; amqp_exchange: string };
    };
    document.processing_queue.amqp_url = onThisMachine(document.processing_queue.amqp_url, AMQP as string);
    document.processing_queue.amqp_exchange = exchange;
    writeFileSync(join(dir, 'codedispatch.yaml'), YAML.stringify(document));

    const [node, main] = imageCommand();
    if (node !== 'node') throw new Error(`the Dockerfile's CMD runs ${String(node)}, not node`);
    children.push(
      spawnEntryPoint(main as string, [], {
        ...env,
        PORT: String(port),
        HOST: '127.0.0.1',
        DATABASE_URL: onThisMachine(env.DATABASE_URL as string, DATABASE as string, `/${dbName}`),
        CODEDISPATCH_CONFIG: join(dir, 'codedispatch.yaml'),
        LOG_LEVEL: 'warn',
      }),
    );
    await waitFor('the service to be ready', async () => ((await fetch(`${base}/ready`)).ok ? true : undefined), 90_000);

    const worker = service('lookup-worker');
    const [workerNode, workerMain] = worker.command ?? [];
    if (workerNode !== 'node') throw new Error(`lookup-worker runs ${String(workerNode)}, not node`);
    const workerEnv = worker.environment ?? {};
    children.push(
      spawnEntryPoint(workerMain as string, [], {
        ...workerEnv,
        AMQP_URL: onThisMachine(workerEnv.AMQP_URL as string, AMQP as string),
        AMQP_EXCHANGE: exchange,
        LOOKUP_QUEUE: `${exchange}.lookup`,
        SERVICE_URL: base,
      }),
    );
  }, 120_000);

  afterAll(async () => {
    for (const child of children) if (child.exitCode === null) child.kill('SIGKILL');
    await Promise.all(children.map(exited));
    const admin = new Client({ connectionString: DATABASE });
    await admin.connect();
    await admin.query(`drop database if exists ${dbName} with (force)`);
    await admin.end();
    rmSync(dir, { recursive: true, force: true });
  });

  it('passes its healthcheck and completes an order: created, code entered, assigned', async () => {
    const check = service('codedispatch').healthcheck?.test ?? [];
    expect(check.slice(0, 2)).toEqual(['CMD', 'node']);
    // The healthcheck as the container runs it, with this run's port.
    execFileSync(
      process.execPath,
      check.slice(2).map((a) => a.replace(':8080/', `:${port}/`)),
      { timeout: 10_000 },
    );

    const tokens = Object.fromEntries(
      (service('codedispatch').environment?.CODEDISPATCH_SERVICE_TOKENS ?? '').split(',').map((p) => p.split('=')),
    ) as Record<string, string>;
    expect(service('lookup-worker').environment?.PROCESSING_TOKEN).toBe(tokens.processing);
    const { answered, client } = recordingClients(() => base);
    const orderId = `compose-${randomUUID()}`;
    const orders = client({ kind: 'service', token: tokens.ordercommit as string });
    const created = await orders.orders.create({ order_id: orderId, area_id: 'svo_d' });
    const jwt = await driverJwt(driver('park1', 'anna'), {
      secret: service('codedispatch').environment?.CODEDISPATCH_DRIVER_JWT_SECRET as string,
    });
    // The entry long-polls until the lookup worker, taking the event from RabbitMQ, has assigned the driver.
    const entered = await client({ kind: 'driver', jwt }).driver.enterCode({
      area_id: 'svo_d',
      code: created.code,
      wait_ms: 10_000,
    });
    expect(entered).toMatchObject({ order_id: orderId, status: 'assigned' });
    expect(answered).toEqual([200, 200]);
  });

  it('stops each process within its stop_grace_period on SIGTERM', async () => {
    const graces = [seconds(service('codedispatch').stop_grace_period), seconds(service('lookup-worker').stop_grace_period)];
    expect(graces[0]).toBeGreaterThanOrEqual(30); // 15 s drain + 10 s relay flush + closing, with room
    await Promise.all(
      children.map(async (child, i) => {
        const started = Date.now();
        child.kill('SIGTERM');
        expect(await exited(child)).toBe(0);
        expect(Date.now() - started).toBeLessThan((graces[i] as number) * 1000);
      }),
    );
  });
});
