import request from 'supertest';
import * as TE from 'fp-ts/TaskEither';
import { createApp } from '../../app';
import { contractViolation } from '../../__tests__/contract';
import {
  createOrder,
  createStorage,
  SERVICE_TOKEN,
  service,
  startInstance,
  STORAGES,
  type Instance,
  type TestStorage,
} from '../../__tests__/harness';
import type { AppDeps } from './deps';

describe.each(STORAGES)('operations endpoints on %s', (kind) => {
  let storage: TestStorage;
  let inst: Instance;

  beforeAll(async () => {
    storage = await createStorage(kind);
    inst = await startInstance({ database: await storage.open() });
  });
  afterAll(async () => {
    await inst.close();
    await storage.close();
  });

  it('answers /ping and /ready', async () => {
    expect((await inst.get('/ping').expect(200)).body).toEqual({ status: 'ok' });
    expect((await inst.get('/ready').expect(200)).body).toEqual({ status: 'ready' });
  });

  it('answers /ready with 503 when the database does not answer', async () => {
    const broken = await startInstance({
      database: { ...(await storage.open()), ping: () => Promise.reject(new Error('connection refused')) },
      background: false,
    });
    try {
      const res = await broken.get('/ready').expect(503);
      expect(res.body).toMatchObject({ code: 'storage_unavailable', status: 503 });
      expect(res.headers['retry-after']).toBe('1');
    } finally {
      await broken.close();
    }
  });

  it('exposes Prometheus metrics: latency per route, transitions, code space, outbox', async () => {
    await createOrder(inst);
    await inst.get('/ping');
    const res = await inst.get('/metrics').expect(200);
    expect(res.headers['content-type']).toMatch(/^text\/plain/);
    expect(res.text).toMatch(/http_request_duration_seconds_bucket\{.*route="\/v1\/order\/create".*status="200"/);
    expect(res.text).toMatch(/codedispatch_transitions_total\{to="pending",error_code="none"\} [1-9]/);
    expect(res.text).toMatch(/codedispatch_code_space_used_ratio\{area="svo_d"\} [0-9.e-]+/);
    expect(res.text).toMatch(/codedispatch_outbox_depth \d+/);
    expect(res.text).toMatch(/codedispatch_outbox_oldest_age_seconds [0-9.]+/);
    expect(res.text).toMatch(/codedispatch_outbox_dead \d+/);
  });

  it('serves the OpenAPI document and its rendered page', async () => {
    const doc = await inst.get('/openapi.json').expect(200);
    expect(doc.body.openapi).toBe('3.1.0');
    expect(Object.keys(doc.body.paths)).toEqual(
      expect.arrayContaining([
        '/v1/order/create',
        '/v1/order/cancel',
        '/v1/order/assign',
        '/v1/assignment/status',
        '/v1/drivers-lookup',
        '/v1/assignments/{order_id}',
      ]),
    );
    const page = await inst.get('/docs').redirects(0).expect(200);
    expect(page.headers['content-type']).toMatch(/^text\/html/);
    expect(page.text).toMatch(/swagger/i);
    // Its assets, relative to the base /docs/, load.
    expect(page.text).toContain('<base href="/docs/">');
    // Static files, not API paths: fetched without the harness's check against the OpenAPI document.
    for (const asset of ['swagger-ui.css', 'swagger-ui-bundle.js', 'swagger-ui-init.js']) {
      expect(page.text).toContain(`./${asset}`);
      await request(inst.server).get(`/docs/${asset}`).redirects(0).expect(200);
    }
    const init = await request(inst.server).get('/docs/swagger-ui-init.js').expect(200);
    expect(init.text).toContain('/v1/order/create');
  });

  it('answers an unknown route with 404 not_found and a wrong method with 405 and Allow', async () => {
    const missing = await inst.get('/v2/nothing').expect(404);
    expect(missing.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(missing.body).toMatchObject({ code: 'not_found', status: 404 });
    const wrong = await inst.call('get', '/v1/order/create').set(service()).expect(405);
    expect(wrong.body.code).toBe('method_not_allowed');
    expect(wrong.headers.allow).toBe('POST, OPTIONS');
    const options = await inst.call('options', '/v1/order/assign').expect(204);
    expect(options.headers.allow).toBe('POST, OPTIONS');
    const withParam = await inst.call('options', '/v1/assignments/order-9').expect(204);
    expect(withParam.headers.allow).toBe('GET, HEAD, OPTIONS');
    await inst.call('options', '/v1/assignments/order-9/more').expect(404);
    const del = await inst.call('delete', '/v1/assignments/x').expect(405);
    expect(del.headers.allow).toBe('GET, HEAD, OPTIONS');
  });

  it('sets security headers, echoes or makes a request id, and logs one line per request without tokens', async () => {
    const res = await inst.get('/ping').set('X-Request-Id', 'req-abc-123').expect(200);
    expect(res.headers['x-request-id']).toBe('req-abc-123');
    expect(res.headers['x-content-type-options']).toBe('nosniff');
    const generated = await inst.get('/ping').set('X-Request-Id', 'bad id with spaces');
    expect(generated.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);

    const order = await createOrder(inst);
    const line = inst.logs.lines.find((l) => l.message === 'request' && l.route === '/v1/order/create' && l.status === 200);
    expect(line).toMatchObject({ method: 'POST', request_id: expect.any(String), duration_ms: expect.any(Number) });
    await inst.get(`/v1/assignments/${order.order_id}`).set(service()).expect(200);
    expect(inst.logs.lines.some((l) => l.route === '/v1/assignments/:order_id')).toBe(true);
    expect(inst.logs.text()).not.toContain(SERVICE_TOKEN);
  });
});

describe('unexpected failures', () => {
  it('answer 500 internal_error without a stack, logged with the request id', async () => {
    const inst = await startInstance({ background: false });
    try {
      const deps: AppDeps = {
        ...inst.deps,
        dispatch: {
          ...inst.deps.dispatch,
          getAssignment: {
            execute: () => {
              throw new Error('boom at SELECT * FROM secrets');
            },
          } as unknown as AppDeps['dispatch']['getAssignment'],
        },
      };
      const res = await request(createApp(deps)).get('/v1/assignments/o1').set(service()).set('X-Request-Id', 'req-500');
      expect(res.status).toBe(500);
      expect(res.body).toMatchObject({ code: 'internal_error', status: 500 });
      expect(JSON.stringify(res.body)).not.toMatch(/boom|SELECT|at /);
      expect(contractViolation('GET', '/v1/assignments/o1', res.status, res.headers['content-type'], res.body)).toBeNull();
      expect(inst.logs.lines.find((l) => l.message === 'unexpected error')).toMatchObject({
        request_id: 'req-500',
        stack: expect.stringContaining('boom'),
      });
    } finally {
      await inst.close();
    }
  });

  it('answer 503 storage_unavailable when the database fails, without SQL', async () => {
    const inst = await startInstance({ background: false });
    try {
      const deps: AppDeps = {
        ...inst.deps,
        dispatch: {
          ...inst.deps.dispatch,
          getAssignment: {
            execute: () => TE.left({ code: 'storage_unavailable', cause: new Error('relation "x" does not exist: SELECT 1') }),
          } as unknown as AppDeps['dispatch']['getAssignment'],
        },
      };
      const res = await request(createApp(deps)).get('/v1/assignments/o1').set(service());
      expect(res.status).toBe(503);
      expect(res.headers['retry-after']).toBe('1');
      expect(JSON.stringify(res.body)).not.toMatch(/relation|SELECT/);
    } finally {
      await inst.close();
    }
  });
});

describe('configuration reloads', () => {
  it('refuse an invalid document, keep the last good one in force, and log every issue', async () => {
    const inst = await startInstance({ background: false });
    try {
      const refused = inst.setDocument({
        processing_enabled: 'sometimes',
        areas: { svo_d: { order_expire_s: 0, max_failed_attempts: -1 } },
      });
      expect(refused._tag).toBe('Left');
      await createOrder(inst); // svo_d and the service token still work
      const issues = inst.logs.lines.filter((l) => l.message === 'configuration issue').map((l) => l.path);
      expect(issues).toEqual(
        expect.arrayContaining([
          'processing_enabled',
          'areas.svo_d.order_expire_s',
          'areas.svo_d.max_failed_attempts',
          'auth.service_tokens',
        ]),
      );
    } finally {
      await inst.close();
    }
  });
});
