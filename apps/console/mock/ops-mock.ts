// Canned /v1/ops answers for the dev and preview servers (CONSOLE_MOCK=1), shaped as the operations contract says.
// The token "demo-operator-token" is an operator's; "service-token" is refused with 403, anything else with 401.
import type { IncomingMessage, ServerResponse } from 'node:http';

const iso = (msAgo: number): string => new Date(Date.now() - msAgo).toISOString();

const series = (peak: number) =>
  Array.from({ length: 60 }, (_, i) => {
    const at = new Date(Math.floor(Date.now() / 60000) * 60000 - (59 - i) * 60000).toISOString();
    const entries = Math.max(0, Math.round(peak * (0.5 + 0.5 * Math.sin(i / 6)) + ((i * 7) % 3)));
    return {
      at,
      entries,
      assignments: Math.max(0, entries - (i % 4 === 0 ? 1 : 0)),
      errors: i % 9 === 0 ? 2 : i % 4 === 0 ? 1 : 0,
      attempt_limit_refusals: i === 50 ? 1 : 0,
    };
  });

const area = (area_id: string, enabled: boolean, taken: number, size: number, errors: Record<string, number>, peak: number) => ({
  area_id,
  enabled,
  code_space: { size, taken, use: taken / size },
  now: { pending: enabled ? Math.round(peak * 3) : 0, processing: enabled ? Math.round(peak / 2) : 0 },
  last_15_min: {
    entries: peak * 15,
    assignments: peak * 14,
    entries_per_min: peak,
    assignments_per_min: (peak * 14) / 15,
    entry_to_assigned_ms: peak === 0 ? { count: 0, p50: null, p99: null } : { count: peak * 14, p50: 420, p99: 1900 },
    errors,
    attempt_limit_refusals: errors['too_many_attempts'] ?? 0,
  },
  series: series(peak),
});

const deadLetters = new Map(
  [
    { event_id: '6f1c2d9e-8b7a-4c3d-9e2f-1a2b3c4d5e6f', order_id: 'o-1042', last_error: 'webhook answered 500' },
    { event_id: '0a9b8c7d-6e5f-4a3b-8c2d-1e0f9a8b7c6d', order_id: 'o-1077', last_error: 'connect ECONNREFUSED 10.0.0.7:443' },
  ].map((d, i) => [
    d.event_id,
    { ...d, type: 'code_entered', attempts: 8, created_at: iso(3600_000 + i), dead_at: iso(600_000 * (i + 1)) },
  ]),
);

const order = (order_id: string) => ({
  assignment: {
    order_id,
    area_id: 'svo_d',
    code: '482918',
    code_display: '482 918',
    status: 'assigned',
    error_code: null,
    park_db_id: 'park7',
    driver_id: 'd-311',
    user_id: 'u-55',
    attempt: 2,
    legacy: false,
    created_at: iso(420_000),
    updated_at: iso(60_000),
    expires_at: iso(-1_380_000),
    changes: [
      { at: iso(420_000), from: null, to: 'pending', actor: { kind: 'service', name: 'orders' } },
      { at: iso(300_000), from: 'pending', to: 'processing', actor: { kind: 'driver', park_db_id: 'park7', driver_id: 'd-120' } },
      {
        at: iso(240_000),
        from: 'processing',
        to: 'error',
        actor: { kind: 'service', name: 'processing' },
        error_code: 'driver_busy',
        reason: 'driver has another order',
      },
      { at: iso(90_000), from: 'error', to: 'processing', actor: { kind: 'driver', park_db_id: 'park7', driver_id: 'd-311' } },
      { at: iso(60_000), from: 'processing', to: 'assigned', actor: { kind: 'service', name: 'processing' } },
    ],
  },
  events: [
    {
      event_id: 'e1',
      type: 'code_entered',
      created_at: iso(300_000),
      attempts: 1,
      delivered_at: iso(299_000),
      dead_at: null,
      last_error: null,
      next_attempt_at: iso(300_000),
    },
    {
      event_id: 'e2',
      type: 'code_entered',
      created_at: iso(90_000),
      attempts: 3,
      delivered_at: null,
      dead_at: null,
      last_error: 'webhook answered 503',
      next_attempt_at: iso(-20_000),
    },
  ],
});

const answer = (res: ServerResponse, status: number, body: unknown, type = 'application/json') => {
  res.statusCode = status;
  res.setHeader('content-type', type);
  res.end(JSON.stringify(body));
};

const problem = (res: ServerResponse, status: number, code: string, detail: string) =>
  answer(res, status, { type: 'about:blank', title: code, status, code, detail }, 'application/problem+json');

export const opsMock =
  () =>
  (req: IncomingMessage, res: ServerResponse, next: () => void): void => {
    const url = new URL(req.url ?? '/', 'http://mock');
    if (!url.pathname.startsWith('/v1/ops/')) return next();
    const auth = req.headers.authorization ?? '';
    if (auth === 'Bearer service-token') return problem(res, 403, 'forbidden', 'not an operator token');
    if (auth !== 'Bearer demo-operator-token') return problem(res, 401, 'unauthorized', 'an operator token is required');
    const path = url.pathname.slice('/v1/ops'.length);
    const post = req.method === 'POST';
    if (path === '/areas')
      return answer(res, 200, {
        generated_at: new Date().toISOString(),
        bucket_s: 60,
        areas: [
          area('svo_d', true, 52, 90000, { code_not_found: 3, driver_busy: 1 }, 2),
          area('led_1', true, 7400, 9000, { code_not_found: 9, code_already_in_use: 4, too_many_attempts: 2 }, 6),
          area('stadium_n', false, 0, 900, {}, 0),
        ],
      });
    if (path === '/orders') {
      if (!url.searchParams.get('area_id')) return problem(res, 400, 'invalid_request', 'area_id is required');
      return answer(res, 200, {
        orders: [
          {
            order_id: 'o-1042',
            area_id: 'svo_d',
            code: '482918',
            code_display: '482 918',
            status: 'pending',
            error_code: null,
            updated_at: iso(30_000),
          },
        ],
      });
    }
    const orderMatch = /^\/orders\/(.+)$/.exec(path);
    if (orderMatch) {
      const id = decodeURIComponent(orderMatch[1]!);
      return id === 'missing' ? problem(res, 404, 'assignment_not_found', `no order ${id}`) : answer(res, 200, order(id));
    }
    if (path === '/events' && !post)
      return answer(res, 200, { depth: 3, oldest_age_s: 12.5, dead: deadLetters.size, dead_letters: [...deadLetters.values()] });
    if (path === '/events/redrive' && post) {
      const redriven = deadLetters.size;
      deadLetters.clear();
      return answer(res, 200, { redriven });
    }
    const redrive = /^\/events\/([^/]+)\/redrive$/.exec(path);
    if (redrive && post)
      return deadLetters.delete(redrive[1]!)
        ? answer(res, 200, { redriven: 1 })
        : problem(res, 404, 'not_found', 'no such dead letter');
    if (path === '/config')
      return answer(res, 200, {
        origin: { kind: 'file', path: '/etc/codedispatch.yaml' },
        version: 'sha256:9f2c41aa0b7d3e61',
        loaded_at: iso(7_200_000),
        last_reload: {
          at: iso(300_000),
          trigger: 'SIGHUP',
          outcome: 'refused',
          issues: [{ path: 'areas.2.code_length', message: 'must be an integer from 3 to 8' }],
        },
        applies_at_restart: [],
      });
    return problem(res, 404, 'not_found', `no mock for ${req.method} ${path}`);
  };
