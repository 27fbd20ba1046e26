import fc from 'fast-check';
import {
  anna,
  asDriver,
  createStorage,
  RecordingSink,
  service,
  startInstance,
  type Instance,
  type TestStorage,
} from '../__tests__/harness';
import { invalidRequest, queryAsSchema, validRequest, type JsonSchema } from '../__tests__/schema-arbitraries';
import { openApiDocument } from './openapi';

/*
 * Requests drawn from the OpenAPI document's request schemas, sent to the
 * service: every valid one gets past the request's shape (whatever the
 * answer, never 400 invalid_request), and every one with a field wrong is
 * refused with 400 invalid_request naming that field. Changing a codec
 * without the document, or the document without the codec, fails here.
 */

const document = openApiDocument() as {
  components: { schemas: Record<string, JsonSchema> };
  paths: Record<string, Record<string, { parameters: JsonSchema[] }>>;
};
const components = document.components.schemas;

const BODIES = [
  { path: '/v1/order/create', schema: 'CreateOrderRequest', caller: 'service' },
  { path: '/v1/order/cancel', schema: 'CancelOrderRequest', caller: 'service' },
  { path: '/v1/order/assign', schema: 'AssignRequest', caller: 'driver' },
  { path: '/v1/drivers-lookup', schema: 'DriversLookupRequest', caller: 'service' },
] as const;

const RUNS = 60;

describe('requests drawn from the OpenAPI document', () => {
  let storage: TestStorage;
  let inst: Instance;
  let driverHeaders: Record<string, string>;

  beforeAll(async () => {
    storage = await createStorage('pglite');
    inst = await startInstance({ database: await storage.open(), sink: new RecordingSink() });
    driverHeaders = await asDriver(anna);
  });
  afterAll(async () => {
    await inst.close();
    await storage.close();
  });

  describe.each(BODIES)('POST $path', ({ path, schema, caller }) => {
    const headers = (): Record<string, string> => (caller === 'service' ? service() : driverHeaders);
    const body = components[schema] as JsonSchema;

    it('accepts the shape of every request its schema allows', async () => {
      await fc.assert(
        fc.asyncProperty(validRequest(body), async (request) => {
          const res = await inst.post(path).set(headers()).send(request);
          expect({ request, code: res.body.code }).not.toMatchObject({ code: 'invalid_request' });
        }),
        { numRuns: RUNS },
      );
    });

    it('refuses every request with a field its schema refuses, naming the field', async () => {
      await fc.assert(
        fc.asyncProperty(invalidRequest(body), async ({ body: request, field }) => {
          const res = await inst.post(path).set(headers()).send(request);
          expect({ request, status: res.status, code: res.body.code }).toMatchObject({ status: 400, code: 'invalid_request' });
          expect((res.body.errors as { path: string }[]).map((e) => e.path)).toContain(field);
        }),
        { numRuns: RUNS },
      );
    });
  });

  describe('GET /v1/assignment/status', () => {
    const query = queryAsSchema(
      (document.paths['/v1/assignment/status'] as Record<string, { parameters: JsonSchema[] }>).get!.parameters,
    );
    const send = async (q: Record<string, unknown>) => inst.get('/v1/assignment/status').query(q).set(driverHeaders);

    it('accepts the shape of every query its parameters allow', async () => {
      await fc.assert(
        fc.asyncProperty(validRequest(query, { text: true }), async (q) => {
          // Any digits are valid; 0 keeps the call from waiting out a long-poll.
          const res = await send({ ...q, ...(q.wait_ms !== undefined ? { wait_ms: '0' } : {}) });
          expect({ q, code: res.body.code }).not.toMatchObject({ code: 'invalid_request' });
        }),
        { numRuns: RUNS },
      );
    });

    it('refuses every query with a parameter they refuse, naming it', async () => {
      await fc.assert(
        fc.asyncProperty(invalidRequest(query, { text: true }), async ({ body: q, field }) => {
          const res = await send(q);
          expect({ q, status: res.status, code: res.body.code }).toMatchObject({ status: 400, code: 'invalid_request' });
          expect((res.body.errors as { path: string }[]).map((e) => e.path)).toContain(field);
        }),
        { numRuns: RUNS },
      );
    });
  });
});
