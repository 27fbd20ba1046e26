import { request } from 'node:http';
import Ajv2020 from 'ajv/dist/2020';
import { areaId, driver, orderId } from '@codedispatch/core';
import document from '../schemas/tracker.openapi.json';
import { HttpDriverTracker } from './http-driver-tracker';
import { FakeTrackerServer } from './testing';

/*
 * The tracker's acquire protocol as an OpenAPI document
 * (schemas/tracker.openapi.json), held against both sides: what the HTTP
 * adapter sends is its request, and what the fake tracker answers is its
 * response for each status.
 */

const ajv = new Ajv2020({ strict: false, allErrors: true });
ajv.addSchema(document, 'tracker');
const conforms = (pointer: string, value: unknown): string[] => {
  const validate = ajv.compile({ $ref: `tracker#${pointer}` });
  return validate(value)
    ? []
    : (validate.errors ?? []).map((e: { instancePath: string; message?: string }) => `${e.instancePath} ${e.message}`);
};
const RESPONSE = (status: number): string => `/paths/~1v1~1acquire/post/responses/${status}/content/application~1json/schema`;

const post = (url: string, body: unknown): Promise<{ status: number; body: unknown }> =>
  new Promise((resolve, reject) => {
    const req = request(`${url}/v1/acquire`, { method: 'POST', headers: { 'content-type': 'application/json' } }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (text += chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: JSON.parse(text) as unknown }));
    });
    req.on('error', reject);
    req.end(JSON.stringify(body));
  });

describe('the tracker protocol document', () => {
  let server: FakeTrackerServer;
  let url: string;
  beforeAll(async () => {
    server = new FakeTrackerServer();
    url = await server.start();
  });
  afterAll(() => server.close());

  it('the HTTP adapter sends the request it documents', async () => {
    const tracker = new HttpDriverTracker({ url, timeoutMs: 2_000 });
    await tracker.acquire(driver('park-1', 'driver-1'), orderId('order-1'), areaId('svo_d'));
    const sent = server.requests[server.requests.length - 1];
    expect(sent?.path).toBe('/v1/acquire');
    expect(conforms('/components/schemas/AcquireRequest', sent?.body)).toEqual([]);
  });

  it.each([
    ['acquired', { kind: 'acquired' } as const, 200],
    ['not found', { kind: 'not_found' } as const, 404],
    ['busy', { kind: 'busy' } as const, 409],
    ['out of area', { kind: 'out_of_area' } as const, 422],
  ])('the fake tracker answers %s as documented', async (_what, answer, status) => {
    const asked = { park_db_id: 'park-1', driver_id: `driver-${status}`, order_id: 'order-1', area_id: 'svo_d' };
    server.script({ parkDbId: asked.park_db_id, driverId: asked.driver_id }, answer);
    const res = await post(url, asked);
    expect(res.status).toBe(status);
    expect(conforms(RESPONSE(status), res.body)).toEqual([]);
  });

  it('refuses what the adapter treats as unavailable: a refusal without its code, an acquired answer without a position', () => {
    expect(conforms(RESPONSE(404), { error: 'not found' })).not.toEqual([]);
    expect(conforms(RESPONSE(200), { driver: { park_db_id: 'p', driver_id: 'd' } })).not.toEqual([]);
    expect(conforms('/components/schemas/AcquireRequest', { park_db_id: 'p', driver_id: 'd', order_id: 'o' })).not.toEqual([]);
  });
});
