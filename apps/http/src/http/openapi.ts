import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { STATUS_OF, type ProblemCode } from './problem';
import { AreasQuery, AssignmentParams, EventParams, EventsQuery, OrdersByCodeQuery, parametersOf, StatusQuery } from './requests';
import { ref, schemas, type Schema } from './openapi-schemas';

/*
 * The OpenAPI 3.1 document of the API (SPEC §6): every route, request and
 * response, problem documents included, each with the codes it can carry.
 * No schema is written here: the requests' come from the codecs that decode
 * them (requests.ts), the responses' and problems' from the shapes their
 * mappings return (responses.ts, problem.ts; shapes.ts says how). The e2e
 * tests check every response they see against the document, and
 * responses.test.ts every response the mappings can build.
 * `npm run lint` lints it with Redocly (recommended) and Spectral
 * (spectral:oas).
 */

/** The processing event's JSON Schema, as @codedispatch/processing-queue publishes it (its own `$schema` and `$id` left out). */
const PROCESSING_EVENT = (() => {
  const path = require.resolve('@codedispatch/processing-queue/processing-event.schema.json');
  const { $schema: _dialect, $id: _id, ...schema } = JSON.parse(readFileSync(path, 'utf8')) as Record<string, unknown>;
  return schema;
})();

/** The service's own version (apps/http/package.json), from dist/ and from src/ alike. */
const VERSION = (JSON.parse(readFileSync(join(__dirname, '..', '..', 'package.json'), 'utf8')) as { version: string }).version;

const headers = {
  RequestId: { description: 'The request id: the incoming X-Request-Id, or a new one.', schema: { type: 'string' } },
  RetryAfter: { description: 'Seconds to wait before retrying.', schema: { type: 'integer', minimum: 1 } },
  WwwAuthenticate: { description: 'Bearer challenge', schema: { type: 'string' } },
};

const REQUEST_ID_HEADER = { 'X-Request-Id': { $ref: '#/components/headers/RequestId' } };

/** One response per status, each restricted to the problem codes it can carry. */
const problems = (codes: readonly ProblemCode[]): Record<string, Schema> => {
  const byStatus = new Map<number, ProblemCode[]>();
  for (const code of new Set(codes)) {
    const status = STATUS_OF[code];
    byStatus.set(status, [...(byStatus.get(status) ?? []), code]);
  }
  const out: Record<string, Schema> = {};
  for (const [status, list] of [...byStatus.entries()].sort(([a], [b]) => a - b)) {
    const retry = list.some((c) => c === 'too_many_attempts' || c === 'tracker_unavailable' || c === 'storage_unavailable');
    out[String(status)] = {
      description: list.join(' | '),
      headers: {
        ...REQUEST_ID_HEADER,
        ...(retry ? { 'Retry-After': { $ref: '#/components/headers/RetryAfter' } } : {}),
        ...(status === 401 ? { 'WWW-Authenticate': { $ref: '#/components/headers/WwwAuthenticate' } } : {}),
      },
      content: {
        'application/problem+json': {
          schema: {
            allOf: [ref('Problem'), { type: 'object', properties: { code: { enum: list }, status: { const: status } } }],
          },
        },
      },
    };
  }
  return out;
};

const json = (schema: Schema, description: string): Schema => ({
  description,
  headers: REQUEST_ID_HEADER,
  content: { 'application/json': { schema } },
});

const body = (schemaName: string): Schema => ({
  required: true,
  content: { 'application/json': { schema: ref(schemaName) } },
});

const COMMON: readonly ProblemCode[] = ['invalid_request', 'internal_error', 'storage_unavailable'];
const WITH_BODY: readonly ProblemCode[] = [...COMMON, 'payload_too_large', 'unsupported_media_type'];
const SERVICE_AUTH: readonly ProblemCode[] = ['unauthorized', 'forbidden'];
const DRIVER_AUTH: readonly ProblemCode[] = ['unauthorized', 'forbidden'];

const SERVICE_SECURITY = [{ serviceToken: [] }];
const OPERATOR_SECURITY = [{ operatorToken: [] }];
const OPERATOR_AUTH: readonly ProblemCode[] = ['unauthorized', 'forbidden'];
/** What every operations endpoint may answer besides its own: credentials, the unexpected, the database. */
const OPERATOR_COMMON: readonly ProblemCode[] = [...OPERATOR_AUTH, 'internal_error', 'storage_unavailable'];
const DRIVER_SECURITY = [{ driverJwt: [] }, { gatewayToken: [], parkId: [], driverProfileId: [] }];

const ACCEPT_LANGUAGE = {
  name: 'Accept-Language',
  in: 'header',
  required: false,
  description: 'Language of `message` (ru, en; fallback en).',
  schema: { type: 'string' },
};

export const openApiDocument = (): Record<string, unknown> => ({
  openapi: '3.1.0',
  // What any path outside the document and any method a path does not have answer: not operations, so not components.
  'x-unmatched-responses': {
    NotFound: problems(['not_found'])['404'],
    MethodNotAllowed: {
      ...problems(['method_not_allowed'])['405'],
      headers: { ...REQUEST_ID_HEADER, Allow: { description: 'Methods the route answers', schema: { type: 'string' } } },
    },
  },
  jsonSchemaDialect: 'https://json-schema.org/draft/2020-12/schema',
  info: {
    title: 'codedispatch',
    version: VERSION,
    license: { name: 'Apache-2.0', identifier: 'Apache-2.0' },
    contact: { name: 'codedispatch maintainers' },
    description:
      'Code dispatch for airports, stations and stadiums: the passenger tells a short code to the driver at the front of the queue, and the order is assigned to that driver. Checks run in this order: credentials, request shape, (create: an existing order), processing_enabled, area, experiment, attempt limit, code format, the record.',
  },
  servers: [{ url: '/' }],
  tags: [
    {
      name: 'service',
      description:
        'Called by other services with a service token: the order system (create, cancel, read) and processing (drivers-lookup).',
    },
    {
      name: 'driver',
      description: "Called by the driver app with the driver's JWT, or through the gateway with its token and identity headers.",
    },
    { name: 'operations', description: 'Liveness, readiness, metrics and this document; no credentials.' },
    {
      name: 'operations-console',
      description:
        'For operators, with an operator token (auth.operator_tokens): activity by area, the story of an order, the outbox and its dead letters (and their redrive), the configuration in force. Read-only apart from the redrive. The console page at /console and `npm run admin` use these.',
    },
    {
      name: 'processing',
      description:
        'Sent by codedispatch to the webhook receiver of processing (processing_queue.sink: webhook); the amqp sink publishes the same event.',
    },
  ],
  paths: {
    '/v1/order/create': {
      post: {
        tags: ['service'],
        operationId: 'createOrder',
        description:
          'The order system asks for a code when the passenger orders at an area that uses code dispatch. A retry with the same order_id answers the record as it is now (same code); the area and the experiment decide whether a new order gets one.',
        summary: 'Issue a code for an order (idempotent by order_id)',
        security: SERVICE_SECURITY,
        parameters: [{ ...ACCEPT_LANGUAGE, description: 'Language of `instructions` when `locale` is not given.' }],
        requestBody: body('CreateOrderRequest'),
        responses: {
          '200': json(ref('CreateOrderResponse'), 'The code (a retry answers the record as it is now).'),
          ...problems([
            ...WITH_BODY,
            ...SERVICE_AUTH,
            'area_not_found',
            'area_disabled',
            'code_dispatch_disabled',
            'order_exists_in_other_area',
            'code_space_exhausted',
          ]),
        },
      },
    },
    '/v1/order/cancel': {
      post: {
        tags: ['service'],
        operationId: 'cancelOrder',
        description:
          'Cancels the order and releases its code. Cancelling an order that is already cancelled or expired answers it as it is; an assigned order cannot be cancelled.',
        summary: 'Cancel an order (idempotent)',
        security: SERVICE_SECURITY,
        requestBody: body('CancelOrderRequest'),
        responses: {
          '200': json(ref('CancelOrderResponse'), 'Cancelled, or already cancelled or expired.'),
          ...problems([...WITH_BODY, ...SERVICE_AUTH, 'assignment_not_found', 'order_already_assigned', 'illegal_transition']),
        },
      },
    },
    '/v1/order/assign': {
      post: {
        tags: ['driver'],
        operationId: 'enterCode',
        description:
          "The driver at the front of the queue types the passenger's code (any formatting). The order moves to processing with this driver and a code_entered event goes to processing; with wait_ms the call answers once the lookup has decided (or at the end of the wait).",
        summary: 'A driver enters a passenger code',
        security: DRIVER_SECURITY,
        parameters: [ACCEPT_LANGUAGE],
        requestBody: body('AssignRequest'),
        responses: {
          '200': json(ref('DriverState'), 'The assignment as this driver sees it (after the wait, if any).'),
          ...problems([
            ...WITH_BODY,
            ...DRIVER_AUTH,
            'invalid_code_format',
            'invalid_code_checksum',
            'processing_disabled',
            'area_not_found',
            'area_disabled',
            'code_not_found',
            'code_already_in_use',
            'driver_has_active_assignment',
            'too_many_attempts',
          ]),
        },
      },
    },
    '/v1/assignment/status': {
      get: {
        tags: ['driver'],
        operationId: 'driverStatus',
        description:
          "The order as this driver sees it: his own assignment, or his own failed attempt; anyone else's order is 404. With wait_ms the call answers as soon as his view changes.",
        summary: 'The order as this driver sees it (long-poll with wait_ms)',
        security: DRIVER_SECURITY,
        parameters: [...parametersOf(StatusQuery, 'query'), ACCEPT_LANGUAGE],
        responses: {
          '200': json(ref('DriverState'), "This driver's view."),
          ...problems([...COMMON, ...DRIVER_AUTH, 'processing_disabled', 'assignment_not_found']),
        },
      },
    },
    '/v1/drivers-lookup': {
      post: {
        tags: ['service'],
        operationId: 'driversLookup',
        description:
          'Processing, on a code_entered event: acquire the driver through the tracker. Acquired: assigned, with the candidate. Not found, busy or out of area: a retryable error. The tracker unreachable: 503, processing left as it is.',
        summary: "Processing's lookup: acquire the driver who entered the code",
        security: SERVICE_SECURITY,
        requestBody: body('DriversLookupRequest'),
        responses: {
          '200': json(ref('LookupResponse'), 'Assigned (with the candidate), or a retryable error from the tracker.'),
          ...problems([
            ...WITH_BODY,
            ...SERVICE_AUTH,
            'processing_disabled',
            'assignment_not_found',
            'assignment_not_processing',
            'tracker_unavailable',
          ]),
        },
      },
    },
    '/v1/assignments/{order_id}': {
      get: {
        tags: ['service'],
        operationId: 'getAssignment',
        description: 'The whole assignment record with its change log, for the calling services and operators.',
        summary: 'The whole record with its change log',
        security: SERVICE_SECURITY,
        parameters: parametersOf(AssignmentParams, 'path'),
        responses: {
          '200': json(ref('Assignment'), 'The record.'),
          ...problems([...COMMON, ...SERVICE_AUTH, 'assignment_not_found']),
        },
      },
    },
    '/v1/ops/areas': {
      get: {
        tags: ['operations-console'],
        operationId: 'opsAreas',
        description:
          'Every configured area, in the document order: code-space use, pending and processing records now, the last 15 minutes (entries, assignments, entry-to-assignment time, errors by code, attempt-limit refusals) and a series of one-minute buckets.',
        summary: 'Activity by area',
        security: OPERATOR_SECURITY,
        parameters: parametersOf(AreasQuery, 'query'),
        responses: {
          '200': json(ref('AreasResponse'), 'Every configured area.'),
          ...problems([...OPERATOR_COMMON, 'invalid_request']),
        },
      },
    },
    '/v1/ops/orders': {
      get: {
        tags: ['operations-console'],
        operationId: 'opsOrdersByCode',
        description:
          'The active records (pending, processing, retryable error) of the area whose code is the typed one, spaces, dashes and dots removed.',
        summary: 'Active orders by area and code',
        security: OPERATOR_SECURITY,
        parameters: parametersOf(OrdersByCodeQuery, 'query'),
        responses: {
          '200': json(ref('OrdersByCode'), 'The active records with this code (none: an empty list).'),
          ...problems([...OPERATOR_COMMON, 'invalid_request']),
        },
      },
    },
    '/v1/ops/orders/{order_id}': {
      get: {
        tags: ['operations-console'],
        operationId: 'opsOrder',
        description: "The whole record with its change log (as GET /v1/assignments/{order_id}), and the order's outbox events.",
        summary: 'The story of an order',
        security: OPERATOR_SECURITY,
        parameters: parametersOf(AssignmentParams, 'path'),
        responses: {
          '200': json(ref('OrderStory'), 'The record and its events.'),
          ...problems([...OPERATOR_COMMON, 'invalid_request', 'assignment_not_found']),
        },
      },
    },
    '/v1/ops/events': {
      get: {
        tags: ['operations-console'],
        operationId: 'opsEvents',
        description: 'Outbox depth (undelivered, not dead), the age of its oldest event, and the dead letters, newest first.',
        summary: 'The outbox and its dead letters',
        security: OPERATOR_SECURITY,
        parameters: parametersOf(EventsQuery, 'query'),
        responses: {
          '200': json(ref('EventsResponse'), 'The outbox now.'),
          ...problems([...OPERATOR_COMMON, 'invalid_request']),
        },
      },
    },
    '/v1/ops/events/redrive': {
      post: {
        tags: ['operations-console'],
        operationId: 'opsRedriveAll',
        description: 'Puts every dead letter back in the queue and wakes the relays. Logged with the operator name.',
        summary: 'Redrive every dead letter',
        security: OPERATOR_SECURITY,
        responses: {
          '200': json(ref('RedriveResponse'), 'How many were put back (0 when none).'),
          ...problems(OPERATOR_COMMON),
        },
      },
    },
    '/v1/ops/events/{event_id}/redrive': {
      post: {
        tags: ['operations-console'],
        operationId: 'opsRedrive',
        description: 'Puts this dead letter back in the queue and wakes the relays. Logged with the operator name.',
        summary: 'Redrive one dead letter',
        security: OPERATOR_SECURITY,
        parameters: parametersOf(EventParams, 'path'),
        responses: {
          '200': json(ref('RedriveResponse'), 'Put back.'),
          ...problems([...OPERATOR_COMMON, 'invalid_request', 'not_found']),
        },
      },
    },
    '/v1/ops/config': {
      get: {
        tags: ['operations-console'],
        operationId: 'opsConfig',
        description:
          'Where the configuration in force came from, its version (of the document as read) and load time, the last reload (refused ones leave the version as it was) and what applies only at the next start.',
        summary: 'The configuration in force',
        security: OPERATOR_SECURITY,
        responses: {
          '200': json(ref('ConfigStatusResponse'), 'The configuration in force.'),
          ...problems(OPERATOR_COMMON),
        },
      },
    },
    '/ping': {
      get: {
        tags: ['operations'],
        operationId: 'ping',
        description: 'Answers while the process runs; checks nothing else.',
        summary: 'Liveness',
        security: [],
        responses: { '200': json(ref('Health'), 'Alive.') },
      },
    },
    '/ready': {
      get: {
        tags: ['operations'],
        operationId: 'ready',
        description: 'Answers 200 when the database answers and the instance is not shutting down; else 503.',
        summary: 'Readiness: the database answers',
        security: [],
        responses: { '200': json(ref('Health'), 'Ready.'), ...problems(['storage_unavailable']) },
      },
    },
    '/metrics': {
      get: {
        tags: ['operations'],
        operationId: 'metrics',
        description:
          'Prometheus text format: requests, transitions, code-space use, outbox depth, long-polls, tracker calls, and the process.',
        summary: 'Prometheus metrics',
        security: [],
        responses: {
          '200': { description: 'Prometheus text format', content: { 'text/plain': { schema: { type: 'string' } } } },
        },
      },
    },
    '/openapi.json': {
      get: {
        tags: ['operations'],
        operationId: 'openapi',
        description: 'This OpenAPI 3.1 document.',
        summary: 'This document',
        security: [],
        responses: { '200': { description: 'OpenAPI 3.1', content: { 'application/json': { schema: { type: 'object' } } } } },
      },
    },
    '/docs': {
      get: {
        tags: ['operations'],
        operationId: 'docs',
        description: 'This document rendered by Swagger UI (served with the service, no CDN).',
        summary: 'This document, rendered',
        security: [],
        responses: { '200': { description: 'Swagger UI', content: { 'text/html': { schema: { type: 'string' } } } } },
      },
    },
    '/console': {
      get: {
        tags: ['operations-console'],
        operationId: 'consolePage',
        description:
          'The operations console page (from @codedispatch/console). It asks for an operator token and calls /v1/ops with it; the page itself needs none. 404 when the console is not installed.',
        summary: 'The operations console page',
        security: [],
        responses: {
          '200': { description: 'The page (no-cache)', content: { 'text/html': { schema: { type: 'string' } } } },
          ...problems(['not_found']),
        },
      },
    },
    '/console/assets/{asset}': {
      get: {
        tags: ['operations-console'],
        operationId: 'consoleAsset',
        description: "The console page's scripts and styles; their names carry a content hash, so they are cached for a year.",
        summary: 'An asset of the console page',
        security: [],
        parameters: [
          {
            name: 'asset',
            in: 'path',
            required: true,
            description: 'The hashed file name',
            schema: { type: 'string' },
          },
        ],
        responses: {
          '200': {
            description: 'The asset (immutable)',
            content: {
              'text/javascript': { schema: { type: 'string' } },
              'text/css': { schema: { type: 'string' } },
            },
          },
          ...problems(['not_found']),
        },
      },
    },
  },
  webhooks: {
    codeEntered: {
      post: {
        tags: ['processing'],
        operationId: 'codeEntered',
        // Authenticated by its signature header, not by a security scheme of this API.
        security: [],
        summary: 'A driver entered the code of an order',
        description:
          'POSTed to processing_queue.webhook_url after the code entry commits, at least once: the same event_id on every redelivery (deduplicate on it), retried with backoff until a 2xx or max_attempts. Check the signature over the raw body before parsing it; then run the lookup (POST /v1/drivers-lookup).',
        parameters: [
          {
            name: 'X-Codedispatch-Signature',
            in: 'header',
            required: true,
            description: 'sha256=<hex HMAC-SHA256 of the raw body with processing_queue.webhook_secret>',
            schema: { type: 'string', pattern: '^sha256=[0-9a-f]{64}$' },
          },
          {
            name: 'X-Codedispatch-Event-Id',
            in: 'header',
            required: true,
            description: "The event's event_id.",
            schema: { type: 'string', format: 'uuid' },
          },
        ],
        requestBody: { required: true, content: { 'application/json': { schema: ref('ProcessingEvent') } } },
        responses: {
          '2XX': { description: 'Acknowledged: the event is not sent again.' },
          '4XX': { description: 'Not acknowledged: sent again later (with backoff), until max_attempts.' },
          '5XX': { description: 'Not acknowledged: sent again later (with backoff), until max_attempts.' },
        },
      },
    },
  },
  components: {
    schemas: { ...schemas, ProcessingEvent: PROCESSING_EVENT },
    headers,
    securitySchemes: {
      serviceToken: { type: 'http', scheme: 'bearer', description: 'A calling service token (auth.service_tokens).' },
      driverJwt: {
        type: 'http',
        scheme: 'bearer',
        bearerFormat: 'JWT',
        description: 'HS256 or JWKS; claims park_db_id, driver_id; exp required.',
      },
      gatewayToken: {
        type: 'http',
        scheme: 'bearer',
        description: 'auth.gateway_token, only with both X-Park-Id and X-Driver-Profile-Id.',
      },
      operatorToken: {
        type: 'http',
        scheme: 'bearer',
        description: 'An operator token (auth.operator_tokens): only the /v1/ops endpoints accept it.',
      },
      parkId: { type: 'apiKey', in: 'header', name: 'X-Park-Id' },
      driverProfileId: { type: 'apiKey', in: 'header', name: 'X-Driver-Profile-Id' },
    },
  },
});
