import { CodeDispatchNetworkError, CodeDispatchProblem, createClient, type Auth } from './index';

interface Seen {
  readonly method: string;
  readonly url: string;
  readonly headers: Headers;
  readonly body: string;
}

const json = (status: number, body: unknown, headers: Record<string, string> = {}): Response =>
  new Response(JSON.stringify(body), {
    status,
    headers: { 'Content-Type': status < 300 ? 'application/json' : 'application/problem+json', ...headers },
  });

const problem = (status: number, code: string, extra: Record<string, unknown> = {}): Record<string, unknown> => ({
  type: `urn:codedispatch:problem:${code}`,
  title: code,
  status,
  code,
  detail: `${code} detail`,
  ...extra,
});

/** A fetch that answers from a script, one entry per call, and records the requests. */
const scripted = (...answers: (Response | Error)[]) => {
  const seen: Seen[] = [];
  const fetch = async (input: string | URL | Request, init?: RequestInit): Promise<Response> => {
    const request = new Request(input, init);
    seen.push({ method: request.method, url: request.url, headers: request.headers, body: await request.text() });
    const answer = answers.shift();
    if (answer === undefined) throw new Error('no more answers scripted');
    if (answer instanceof Error) throw answer;
    return answer;
  };
  return { fetch: fetch as typeof globalThis.fetch, seen };
};

const SERVICE: Auth = { kind: 'service', token: 'svc' };
const created = {
  order_id: 'o1',
  area_id: 'svo_d',
  code: '482918',
  code_display: '482 918',
  status: 'pending',
  expires_at: '2026-11-26T10:00:00.000Z',
};
const state = { order_id: 'o1', status: 'processing', updated_at: '2026-11-26T10:00:00.000Z' };
const fast = { attempts: 3, baseDelayMs: 1, maxTotalMs: 5_000 };

describe('retries', () => {
  it('retries create on a 503 with Retry-After and on a network error, then answers the typed body', async () => {
    const { fetch, seen } = scripted(
      json(503, problem(503, 'storage_unavailable'), { 'Retry-After': '0' }),
      new TypeError('fetch failed'),
      json(200, created),
    );
    const client = createClient({ baseUrl: 'http://cd.test/', auth: SERVICE, fetch, retry: fast });
    const answer = await client.orders.create({ order_id: 'o1', area_id: 'svo_d' });
    expect(answer.code).toBe('482918');
    expect(seen.map((s) => `${s.method} ${s.url}`)).toEqual(Array(3).fill('POST http://cd.test/v1/order/create'));
    expect(seen.every((s) => JSON.parse(s.body).order_id === 'o1')).toBe(true);
  });

  it('stops after the configured attempts and throws the last problem with its Retry-After', async () => {
    const { fetch, seen } = scripted(
      json(503, problem(503, 'tracker_unavailable'), { 'Retry-After': '0' }),
      json(503, problem(503, 'tracker_unavailable'), { 'Retry-After': '0' }),
    );
    const client = createClient({ baseUrl: 'http://cd.test', auth: SERVICE, fetch, retry: { ...fast, attempts: 2 } });
    const error = await client.processing.lookup('o1').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(CodeDispatchProblem);
    expect((error as CodeDispatchProblem).code).toBe('tracker_unavailable');
    expect((error as CodeDispatchProblem).retryAfterS).toBe(0);
    expect(seen).toHaveLength(2);
  });

  it('does not retry when the Retry-After would go past the total time', async () => {
    const { fetch, seen } = scripted(json(503, problem(503, 'storage_unavailable'), { 'Retry-After': '30' }));
    const client = createClient({ baseUrl: 'http://cd.test', auth: SERVICE, fetch, retry: fast });
    await expect(client.orders.get('o1')).rejects.toMatchObject({ status: 503, code: 'storage_unavailable', retryAfterS: 30 });
    expect(seen).toHaveLength(1);
  });

  it('never retries enterCode, neither on a 503 nor on a network error', async () => {
    const driver: Auth = { kind: 'driver', jwt: 'jwt' };
    const first = scripted(json(503, problem(503, 'storage_unavailable'), { 'Retry-After': '0' }), json(200, state));
    const client = createClient({ baseUrl: 'http://cd.test', auth: driver, fetch: first.fetch, retry: fast });
    await expect(client.driver.enterCode({ area_id: 'svo_d', code: '482918' })).rejects.toBeInstanceOf(CodeDispatchProblem);
    expect(first.seen).toHaveLength(1);

    const second = scripted(new TypeError('fetch failed'), json(200, state));
    const again = createClient({ baseUrl: 'http://cd.test', auth: driver, fetch: second.fetch, retry: fast });
    await expect(again.driver.enterCode({ area_id: 'svo_d', code: '482918' })).rejects.toBeInstanceOf(CodeDispatchNetworkError);
    expect(second.seen).toHaveLength(1);
  });

  it('does not take an answer it cannot parse for a network error, nor retry it', async () => {
    const { fetch, seen } = scripted(
      new Response('<html>', { status: 200, headers: { 'Content-Type': 'application/json' } }),
      json(200, created),
    );
    const client = createClient({ baseUrl: 'http://cd.test', auth: SERVICE, fetch, retry: fast });
    const error = await client.orders.create({ order_id: 'o1', area_id: 'svo_d' }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(SyntaxError);
    expect(seen).toHaveLength(1);
  });

  it('turns a non-problem error answer into CodeDispatchUnexpectedResponse', async () => {
    const { fetch } = scripted(new Response('Bad Gateway', { status: 502, headers: { 'Content-Type': 'text/plain' } }));
    const client = createClient({ baseUrl: 'http://cd.test', auth: SERVICE, fetch, retry: fast });
    await expect(client.orders.get('o1')).rejects.toMatchObject({
      name: 'CodeDispatchUnexpectedResponse',
      status: 502,
      body: 'Bad Gateway',
    });
  });

  it('never retries cancel', async () => {
    const { fetch, seen } = scripted(new TypeError('fetch failed'), json(200, {}));
    const client = createClient({ baseUrl: 'http://cd.test', auth: SERVICE, fetch, retry: fast });
    await expect(client.orders.cancel({ order_id: 'o1' })).rejects.toBeInstanceOf(CodeDispatchNetworkError);
    expect(seen).toHaveLength(1);
  });
});

describe('problems', () => {
  it('turns a problem document into a CodeDispatchProblem with its code, detail, errors and driver message', async () => {
    const { fetch } = scripted(
      json(409, problem(409, 'code_already_in_use', { message: 'Код уже введён другим водителем' })),
      json(400, problem(400, 'invalid_request', { errors: [{ path: 'area_id', message: 'required' }] })),
      json(429, problem(429, 'too_many_attempts'), { 'Retry-After': '42' }),
    );
    const client = createClient({ baseUrl: 'http://cd.test', auth: { kind: 'driver', jwt: 'jwt' }, fetch });
    const inUse = (await client.driver
      .enterCode({ area_id: 'svo_d', code: '1' })
      .catch((e: unknown) => e)) as CodeDispatchProblem;
    expect(inUse).toBeInstanceOf(CodeDispatchProblem);
    expect([inUse.status, inUse.code, inUse.detail, inUse.driverMessage]).toEqual([
      409,
      'code_already_in_use',
      'code_already_in_use detail',
      'Код уже введён другим водителем',
    ]);
    await expect(client.driver.enterCode({ area_id: '', code: '1' })).rejects.toMatchObject({
      code: 'invalid_request',
      errors: [{ path: 'area_id', message: 'required' }],
    });
    await expect(client.driver.status('o1')).rejects.toMatchObject({ status: 429, code: 'too_many_attempts', retryAfterS: 42 });
  });
});

describe('auth', () => {
  it.each<[Auth, Record<string, string | null>]>([
    [SERVICE, { authorization: 'Bearer svc', 'x-park-id': null, 'x-driver-profile-id': null }],
    [
      { kind: 'driver', jwt: 'ey.jwt' },
      { authorization: 'Bearer ey.jwt', 'x-park-id': null, 'x-driver-profile-id': null },
    ],
    [
      { kind: 'gateway', token: 'gw', parkId: 'park1', driverId: 'anna' },
      { authorization: 'Bearer gw', 'x-park-id': 'park1', 'x-driver-profile-id': 'anna' },
    ],
  ])('sends the headers of %o', async (auth, expected) => {
    const { fetch, seen } = scripted(json(200, state));
    await createClient({ baseUrl: 'http://cd.test', auth, fetch }).driver.status('o1', { waitMs: 5000 });
    const headers = seen[0]!.headers;
    expect(Object.fromEntries(Object.keys(expected).map((name) => [name, headers.get(name)]))).toEqual(expected);
    expect(seen[0]!.url).toBe('http://cd.test/v1/assignment/status?order_id=o1&wait_ms=5000');
  });
});

describe('long-polls', () => {
  it('an AbortSignal cancels a waiting status call, and it is not retried', async () => {
    let calls = 0;
    const fetch = ((input: string | URL | Request, init?: RequestInit) => {
      calls++;
      const signal = input instanceof Request ? input.signal : init?.signal;
      return new Promise<Response>((_resolve, reject) => {
        signal?.addEventListener('abort', () => reject(signal.reason), { once: true });
      });
    }) as typeof globalThis.fetch;
    const client = createClient({ baseUrl: 'http://cd.test', auth: { kind: 'driver', jwt: 'jwt' }, fetch, retry: fast });
    const controller = new AbortController();
    const waiting = client.driver.status('o1', { waitMs: 10_000, signal: controller.signal });
    controller.abort();
    await expect(waiting).rejects.toMatchObject({ name: 'AbortError' });
    expect(calls).toBe(1);
  });
});

describe('ops (operator token)', () => {
  const OPERATOR: Auth = { kind: 'operator', token: 'op-token' };
  const story = { assignment: {}, events: [] };

  it('sends the operator token and the query of each read', async () => {
    const { fetch, seen } = scripted(
      json(200, { generated_at: '2026-12-06T10:00:00.000Z', bucket_s: 60, areas: [] }),
      json(200, story),
      json(200, { orders: [] }),
      json(200, { depth: 0, oldest_age_s: 0, dead: 0, dead_letters: [] }),
      json(200, { origin: { kind: 'demo' } }),
    );
    const client = createClient({ baseUrl: 'http://cd.test', auth: OPERATOR, fetch, retry: fast });
    await client.ops.areas({ windowMin: 30 });
    await client.ops.order('o 1');
    await client.ops.find('svo_d', '482 918');
    await client.ops.events({ limit: 5 });
    await client.ops.config();
    expect(seen.map((s) => `${s.method} ${s.url}`)).toEqual([
      'GET http://cd.test/v1/ops/areas?window_min=30',
      'GET http://cd.test/v1/ops/orders/o%201',
      'GET http://cd.test/v1/ops/orders?area_id=svo_d&code=482%20918',
      'GET http://cd.test/v1/ops/events?limit=5',
      'GET http://cd.test/v1/ops/config',
    ]);
    expect(seen.every((s) => s.headers.get('authorization') === 'Bearer op-token')).toBe(true);
  });

  it('retries the reads on a 503, never a redrive', async () => {
    const reads = scripted(json(503, problem(503, 'storage_unavailable'), { 'Retry-After': '0' }), json(200, story));
    const reader = createClient({ baseUrl: 'http://cd.test', auth: OPERATOR, fetch: reads.fetch, retry: fast });
    await reader.ops.order('o1');
    expect(reads.seen).toHaveLength(2);

    const writes = scripted(
      json(503, problem(503, 'storage_unavailable'), { 'Retry-After': '0' }),
      json(503, problem(503, 'storage_unavailable'), { 'Retry-After': '0' }),
    );
    const writer = createClient({ baseUrl: 'http://cd.test', auth: OPERATOR, fetch: writes.fetch, retry: fast });
    await expect(writer.ops.redrive('0b8f6c1e-1d3c-4c53-9d1f-5d2a3c4b5e6f')).rejects.toBeInstanceOf(CodeDispatchProblem);
    await expect(writer.ops.redriveAll()).rejects.toBeInstanceOf(CodeDispatchProblem);
    expect(writes.seen.map((s) => `${s.method} ${s.url}`)).toEqual([
      'POST http://cd.test/v1/ops/events/0b8f6c1e-1d3c-4c53-9d1f-5d2a3c4b5e6f/redrive',
      'POST http://cd.test/v1/ops/events/redrive',
    ]);
  });
});
