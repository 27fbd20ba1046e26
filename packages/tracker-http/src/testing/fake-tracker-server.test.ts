import { FakeTrackerServer } from './fake-tracker-server';

const body = { park_db_id: 'p', driver_id: 'd', order_id: 'o', area_id: 'a' };

let server: FakeTrackerServer;
let url: string;

beforeEach(async () => {
  server = new FakeTrackerServer({ position: { lat: 1, lon: 2 } });
  url = await server.start();
});
afterEach(() => server.close());

const post = async (path: string, payload: unknown): Promise<[number, unknown]> => {
  const res = await fetch(`${url}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: typeof payload === 'string' ? payload : JSON.stringify(payload),
  });
  const text = await res.text();
  return [res.status, text === '' ? undefined : JSON.parse(text)];
};

describe('FakeTrackerServer', () => {
  it('acquires an unscripted driver, again for the same order', async () => {
    const acquired = [200, { driver: { park_db_id: 'p', driver_id: 'd', position: { lat: 1, lon: 2 } } }];
    await expect(post('/v1/acquire', body)).resolves.toStrictEqual(acquired);
    await expect(post('/v1/acquire', body)).resolves.toStrictEqual(acquired);
  });

  it('plays a script in order and repeats its last answer', async () => {
    server.script({ parkDbId: 'p', driverId: 'd' }, { kind: 'busy' }, { kind: 'out_of_area' });
    await expect(post('/v1/acquire', body)).resolves.toStrictEqual([409, { code: 'driver_busy' }]);
    await expect(post('/v1/acquire', body)).resolves.toStrictEqual([422, { code: 'driver_out_of_area' }]);
    await expect(post('/v1/acquire', body)).resolves.toStrictEqual([422, { code: 'driver_out_of_area' }]);
  });

  it('refuses requests outside the protocol, and records them', async () => {
    await expect(post('/v1/acquire', { ...body, area_id: 7 })).resolves.toStrictEqual([400, { code: 'invalid_request' }]);
    await expect(post('/v1/acquire', 'not json')).resolves.toStrictEqual([400, { code: 'invalid_request' }]);
    await expect(post('/acquire', body)).resolves.toStrictEqual([404, { code: 'not_found' }]);
    expect(server.requests.map((r) => [r.path, r.text])).toStrictEqual([
      ['/v1/acquire', JSON.stringify({ ...body, area_id: 7 })],
      ['/v1/acquire', 'not json'],
      ['/acquire', JSON.stringify(body)],
    ]);
    server.clearRequests();
    expect(server.requests).toHaveLength(0);
  });

  it('drops a hanging request when closed', async () => {
    server.script({ parkDbId: 'p', driverId: 'd' }, { kind: 'hang' });
    const pending = post('/v1/acquire', body);
    await new Promise((resolve) => setTimeout(resolve, 50));
    await server.close();
    await expect(pending).rejects.toThrow();
  });
});
