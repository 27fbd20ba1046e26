import { Type, type Static, type TSchema } from '@sinclair/typebox';
import { ASSIGNMENT_ERROR_CODES, STATUSES, type AssignmentErrorCode, type Status } from '@codedispatch/core';

/*
 * The building blocks of the response shapes (responses.ts, problem.ts).
 * Each shape is declared once, with TypeBox: the declaration is both the
 * JSON Schema the OpenAPI document carries and, through `Static`, the type
 * the mapping that builds the answer must return. Change one without the
 * other and the build fails; the e2e suite then checks every answer it sees
 * against the document.
 *
 * Why TypeBox beside io-ts: requests are decoded, with our own messages, so
 * they are io-ts codecs that carry their schema (requests.ts). Responses are
 * only built and described: a declaration that yields a type and a schema is
 * all they need, and io-ts cannot emit a schema.
 */

export type { Static, TSchema };

/** A reference to a named component of the document, typed as what it names. */
export const component = <T>(name: string): ReturnType<typeof Type.Unsafe<T>> =>
  Type.Unsafe<T>({ $ref: `#/components/schemas/${name}` });

/** A value or null: the record's fields that are unset. */
export const orNull = <S extends TSchema>(schema: S) => Type.Union([schema, Type.Null()]);

/** Closed objects: an answer carries no field the document does not name. */
export const closed = { additionalProperties: false } as const;

export const Timestamp = Type.String({
  format: 'date-time',
  pattern: '^\\d{4}-\\d{2}-\\d{2}T\\d{2}:\\d{2}:\\d{2}\\.\\d{3}Z$',
  description: 'ISO-8601 UTC with milliseconds',
  examples: ['2026-11-26T10:00:00.000Z'],
});

export const StatusShape = Type.Unsafe<Status>({ type: 'string', enum: [...STATUSES] });

export const AssignmentErrorCodeShape = Type.Unsafe<AssignmentErrorCode>({
  type: 'string',
  enum: [...ASSIGNMENT_ERROR_CODES],
  description:
    'Retryable (driver-side): driver_not_found_in_tracker, driver_busy, driver_out_of_area, processing_timeout. Final: order_cancelled, expired.',
});

/** References to the shared components, as the shapes use them. */
export const TimestampRef = component<string>('Timestamp');
export const StatusRef = component<Status>('Status');
export const AssignmentErrorCodeRef = component<AssignmentErrorCode>('AssignmentErrorCode');

/**
 * Compile-time proof that a shape's type and a type declared elsewhere (the
 * core's wire form) are the same: `Same<A, B>` is `true` only then.
 */
export type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
