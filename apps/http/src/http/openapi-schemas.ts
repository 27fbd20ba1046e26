import { ASSIGNMENT_ERROR_CODES, STATUSES } from '@codedispatch/core';
import { PROBLEM_CODES, problemType } from './problem';
import { AssignBody, CancelOrderBody, CreateOrderBody, DriversLookupBody, schemaOf } from './requests';

/** The JSON Schemas (2020-12) of the OpenAPI document's components: requests, responses, problems. */

export type Schema = Record<string, unknown>;

export const ref = (name: string): Schema => ({ $ref: `#/components/schemas/${name}` });

const TIMESTAMP: Schema = {
  type: 'string',
  format: 'date-time',
  pattern: '^\\d{4}-\\d{2}-\\d{2}T\\d{2}:\\d{2}:\\d{2}\\.\\d{3}Z$',
  description: 'ISO-8601 UTC with milliseconds',
  examples: ['2026-11-26T10:00:00.000Z'],
};

export const schemas: Record<string, Schema> = {
  // The requests: what the codecs that decode them accept (requests.ts), not written again here.
  CreateOrderRequest: schemaOf(CreateOrderBody),
  CancelOrderRequest: schemaOf(CancelOrderBody),
  AssignRequest: schemaOf(AssignBody),
  DriversLookupRequest: schemaOf(DriversLookupBody),
  Timestamp: TIMESTAMP,
  Status: { type: 'string', enum: [...STATUSES] },
  AssignmentErrorCode: {
    type: 'string',
    enum: [...ASSIGNMENT_ERROR_CODES],
    description:
      'Retryable (driver-side): driver_not_found_in_tracker, driver_busy, driver_out_of_area, processing_timeout. Final: order_cancelled, expired.',
  },
  ProblemCode: { type: 'string', enum: [...PROBLEM_CODES] },
  Problem: {
    type: 'object',
    description: 'RFC 9457 problem document with a machine-readable `code`.',
    required: ['type', 'title', 'status', 'code', 'detail'],
    properties: {
      type: { type: 'string', format: 'uri', examples: [problemType('code_already_in_use')] },
      title: { type: 'string' },
      status: { type: 'integer', minimum: 400, maximum: 599 },
      code: ref('ProblemCode'),
      detail: { type: 'string' },
      errors: {
        type: 'array',
        description: 'On 400 invalid_request: the offending fields (`path` is empty for the body as a whole).',
        items: {
          type: 'object',
          required: ['path', 'message'],
          properties: { path: { type: 'string', examples: ['order_id'] }, message: { type: 'string' } },
          additionalProperties: false,
        },
      },
      message: {
        type: 'string',
        description: "Driver endpoints' 400/404/409/429: the code explained to the driver, in the language of Accept-Language.",
      },
      assignment_status: {
        $ref: '#/components/schemas/Status',
        description: 'On assignment_not_processing: the status it is in.',
      },
    },
    additionalProperties: false,
  },
  CreateOrderResponse: {
    type: 'object',
    required: ['order_id', 'area_id', 'code', 'code_display', 'status', 'expires_at'],
    properties: {
      order_id: { type: 'string' },
      area_id: { type: 'string' },
      code: { type: 'string', description: 'Normalised, no separators', examples: ['482918'] },
      code_display: { type: 'string', description: 'Grouped for the passenger', examples: ['482 918'] },
      status: ref('Status'),
      error_code: ref('AssignmentErrorCode'),
      expires_at: ref('Timestamp'),
      instructions: { type: 'string' },
    },
    additionalProperties: false,
  },
  CancelOrderResponse: {
    type: 'object',
    required: ['order_id', 'status', 'error_code'],
    properties: {
      order_id: { type: 'string' },
      status: ref('Status'),
      error_code: { oneOf: [ref('AssignmentErrorCode'), { type: 'null' }] },
    },
    additionalProperties: false,
  },
  DriverState: {
    type: 'object',
    required: ['order_id', 'status', 'updated_at'],
    properties: {
      order_id: { type: 'string' },
      status: ref('Status'),
      error_code: ref('AssignmentErrorCode'),
      message: {
        type: 'string',
        description: 'Present with error_code: the code explained to the driver (Accept-Language; ru, en).',
      },
      updated_at: ref('Timestamp'),
    },
    dependentRequired: { error_code: ['message'] },
    additionalProperties: false,
  },
  Candidate: {
    type: 'object',
    required: ['park_db_id', 'driver_id'],
    properties: {
      park_db_id: { type: 'string' },
      driver_id: { type: 'string' },
      position: {
        type: 'object',
        required: ['lat', 'lon'],
        properties: { lat: { type: 'number' }, lon: { type: 'number' } },
        additionalProperties: false,
      },
      due: { $ref: '#/components/schemas/Timestamp', description: "now + the area's driver_due_offset_s (absent when unset)" },
    },
    additionalProperties: false,
  },
  LookupResponse: {
    type: 'object',
    required: ['order_id', 'status'],
    properties: {
      order_id: { type: 'string' },
      status: ref('Status'),
      candidate: ref('Candidate'),
      error_code: ref('AssignmentErrorCode'),
    },
    additionalProperties: false,
  },
  Actor: {
    oneOf: [
      {
        type: 'object',
        required: ['kind', 'name'],
        properties: { kind: { const: 'service' }, name: { type: 'string' } },
        additionalProperties: false,
      },
      {
        type: 'object',
        required: ['kind', 'park_db_id', 'driver_id'],
        properties: { kind: { const: 'driver' }, park_db_id: { type: 'string' }, driver_id: { type: 'string' } },
        additionalProperties: false,
      },
      { type: 'object', required: ['kind'], properties: { kind: { const: 'system' } }, additionalProperties: false },
    ],
  },
  Change: {
    type: 'object',
    required: ['at', 'from', 'to', 'actor'],
    properties: {
      at: ref('Timestamp'),
      from: { oneOf: [ref('Status'), { type: 'null' }], description: 'null at creation' },
      to: ref('Status'),
      actor: ref('Actor'),
      error_code: ref('AssignmentErrorCode'),
      reason: { type: 'string' },
    },
    additionalProperties: false,
  },
  Assignment: {
    type: 'object',
    required: [
      'order_id',
      'area_id',
      'code',
      'code_display',
      'status',
      'error_code',
      'park_db_id',
      'driver_id',
      'user_id',
      'attempt',
      'legacy',
      'created_at',
      'updated_at',
      'expires_at',
      'changes',
    ],
    properties: {
      order_id: { type: 'string' },
      area_id: { type: 'string' },
      code: { type: 'string' },
      code_display: { type: 'string' },
      status: ref('Status'),
      error_code: { oneOf: [ref('AssignmentErrorCode'), { type: 'null' }] },
      park_db_id: { type: ['string', 'null'] },
      driver_id: { type: ['string', 'null'] },
      user_id: { type: ['string', 'null'] },
      attempt: { type: 'integer', minimum: 0, description: 'Code entries so far (the processing event carries it).' },
      legacy: { type: 'boolean', description: 'Imported from MongoDB' },
      created_at: ref('Timestamp'),
      updated_at: ref('Timestamp'),
      expires_at: ref('Timestamp'),
      changes: { type: 'array', items: ref('Change'), minItems: 1 },
    },
    additionalProperties: false,
  },
  Health: {
    type: 'object',
    required: ['status'],
    properties: { status: { type: 'string', enum: ['ok', 'ready'] } },
    additionalProperties: false,
  },
};
