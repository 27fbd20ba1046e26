import { STATUS_OF, type ProblemCode } from './problem';
import { AssignmentParams, parametersOf, StatusQuery } from './requests';
import { ref, schemas, type Schema } from './openapi-schemas';

/*
 * The OpenAPI 3.1 document of the API, written by hand (SPEC §6): every
 * route, request and response, problem documents included, each with the
 * codes it can carry. The e2e tests check every response they see against it.
 */

const headers = {
  RequestId: { description: 'The request id: the incoming X-Request-Id, or a new one.', schema: { type: 'string' } },
  RetryAfter: { description: 'Seconds to wait before retrying.', schema: { type: 'integer', minimum: 1 } },
  WwwAuthenticate: { description: 'Bearer challenge', schema: { type: 'string' } },
  Allow: { description: 'Methods the route answers', schema: { type: 'string' } },
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
  jsonSchemaDialect: 'https://json-schema.org/draft/2020-12/schema',
  info: {
    title: 'codedispatch',
    version: '0.1.0',
    description:
      'Code dispatch for airports, stations and stadiums: the passenger tells a short code to the driver at the front of the queue, and the order is assigned to that driver. Checks run in this order: credentials, request shape, (create: an existing order), processing_enabled, area, experiment, attempt limit, code format, the record.',
  },
  servers: [{ url: '/' }],
  tags: [{ name: 'service' }, { name: 'driver' }, { name: 'operations' }],
  paths: {
    '/v1/order/create': {
      post: {
        tags: ['service'],
        operationId: 'createOrder',
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
        summary: 'The whole record with its change log',
        security: SERVICE_SECURITY,
        parameters: parametersOf(AssignmentParams, 'path'),
        responses: {
          '200': json(ref('Assignment'), 'The record.'),
          ...problems([...COMMON, ...SERVICE_AUTH, 'assignment_not_found']),
        },
      },
    },
    '/ping': {
      get: {
        tags: ['operations'],
        operationId: 'ping',
        summary: 'Liveness',
        security: [],
        responses: { '200': json(ref('Health'), 'Alive.') },
      },
    },
    '/ready': {
      get: {
        tags: ['operations'],
        operationId: 'ready',
        summary: 'Readiness: the database answers',
        security: [],
        responses: { '200': json(ref('Health'), 'Ready.'), ...problems(['storage_unavailable']) },
      },
    },
    '/metrics': {
      get: {
        tags: ['operations'],
        operationId: 'metrics',
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
        summary: 'This document',
        security: [],
        responses: { '200': { description: 'OpenAPI 3.1', content: { 'application/json': { schema: { type: 'object' } } } } },
      },
    },
    '/docs': {
      get: {
        tags: ['operations'],
        operationId: 'docs',
        summary: 'This document, rendered',
        security: [],
        responses: { '200': { description: 'Swagger UI', content: { 'text/html': { schema: { type: 'string' } } } } },
      },
    },
  },
  components: {
    schemas,
    headers,
    responses: {
      NotFound: problems(['not_found'])['404'],
      MethodNotAllowed: {
        ...problems(['method_not_allowed'])['405'],
        headers: { ...REQUEST_ID_HEADER, Allow: { $ref: '#/components/headers/Allow' } },
      },
    },
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
      parkId: { type: 'apiKey', in: 'header', name: 'X-Park-Id' },
      driverProfileId: { type: 'apiKey', in: 'header', name: 'X-Driver-Profile-Id' },
    },
  },
});
