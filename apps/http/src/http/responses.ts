import { Type } from '@sinclair/typebox';
import {
  areaSettingsOf,
  displayCode,
  driverMessage,
  type Assignment,
  type DispatchConfig,
  type Locale,
  type LookupResult,
} from '@codedispatch/core';
import { changeToJson, type ActorJson, type ChangeJson } from '@codedispatch/core/adapter';
import {
  AssignmentErrorCodeRef,
  closed,
  component,
  orNull,
  StatusRef,
  TimestampRef,
  type Same,
  type Static,
  type TSchema,
} from './shapes';

/*
 * The success bodies of SPEC §6: snake_case, timestamps as ISO-8601 UTC with
 * milliseconds. Each shape is declared once (shapes.ts says how): the
 * OpenAPI document's response schemas are these declarations, and each
 * mapping from the core's values returns the declaration's type.
 */

export const iso = (d: Date): string => d.toISOString();

/** The code as the passenger is shown it, grouped by the area's generator. */
const codeDisplay = (config: DispatchConfig, a: Assignment): string =>
  displayCode(areaSettingsOf(config, a.areaId).generator, a.code);

export const CreateOrderResponse = Type.Object(
  {
    order_id: Type.String(),
    area_id: Type.String(),
    code: Type.String({ description: 'Normalised, no separators', examples: ['482918'] }),
    code_display: Type.String({ description: 'Grouped for the passenger', examples: ['482 918'] }),
    status: StatusRef,
    error_code: Type.Optional(AssignmentErrorCodeRef),
    expires_at: TimestampRef,
    instructions: Type.Optional(Type.String({ description: "How the passenger uses the code, in the order's locale." })),
  },
  closed,
);
export type CreateOrderResponse = Static<typeof CreateOrderResponse>;

export const createOrderResponse = (
  config: DispatchConfig,
  a: Assignment,
  instructions: string | undefined,
): CreateOrderResponse => ({
  order_id: a.orderId,
  area_id: a.areaId,
  code: a.code,
  code_display: codeDisplay(config, a),
  status: a.status,
  ...(a.errorCode !== null ? { error_code: a.errorCode } : {}),
  expires_at: iso(a.expiresAt),
  ...(instructions !== undefined ? { instructions } : {}),
});

export const CancelOrderResponse = Type.Object(
  { order_id: Type.String(), status: StatusRef, error_code: orNull(AssignmentErrorCodeRef) },
  closed,
);
export type CancelOrderResponse = Static<typeof CancelOrderResponse>;

export const cancelOrderResponse = (a: Assignment): CancelOrderResponse => ({
  order_id: a.orderId,
  status: a.status,
  error_code: a.errorCode,
});

/** What a driver sees of an order: his view of it (SPEC §6, status). */
export interface DriverStateView {
  readonly orderId: string;
  readonly status: Assignment['status'];
  readonly errorCode: Assignment['errorCode'];
  readonly updatedAt: Date;
}

/** The assign and status answer (the document's `DriverState`). */
export const DriverStateResponse = Type.Object(
  {
    order_id: Type.String(),
    status: StatusRef,
    error_code: Type.Optional(AssignmentErrorCodeRef),
    message: Type.Optional(
      Type.String({ description: 'Present with error_code: the code explained to the driver (Accept-Language; ru, en).' }),
    ),
    updated_at: TimestampRef,
  },
  { ...closed, dependentRequired: { error_code: ['message'] } },
);
export type DriverStateResponse = Static<typeof DriverStateResponse>;

/** Assign and status answers; `message` explains the error code in the driver's language. */
export const driverStateResponse = (v: DriverStateView, locale: Locale): DriverStateResponse => ({
  order_id: v.orderId,
  status: v.status,
  ...(v.errorCode !== null ? { error_code: v.errorCode, message: driverMessage(v.errorCode, locale) } : {}),
  updated_at: iso(v.updatedAt),
});

export const sameDriverState = (a: DriverStateView, b: DriverStateView): boolean =>
  a.status === b.status && a.errorCode === b.errorCode && a.updatedAt.getTime() === b.updatedAt.getTime();

export const Candidate = Type.Object(
  {
    park_db_id: Type.String(),
    driver_id: Type.String(),
    position: Type.Optional(Type.Object({ lat: Type.Number(), lon: Type.Number() }, closed)),
    due: Type.Optional(
      Type.Unsafe<string>({
        $ref: '#/components/schemas/Timestamp',
        description: "now + the area's driver_due_offset_s (absent when unset)",
      }),
    ),
  },
  closed,
);

export const LookupResponse = Type.Object(
  {
    order_id: Type.String(),
    status: StatusRef,
    candidate: Type.Optional(component<Static<typeof Candidate>>('Candidate')),
    error_code: Type.Optional(AssignmentErrorCodeRef),
  },
  closed,
);
export type LookupResponse = Static<typeof LookupResponse>;

export const lookupResponse = (r: LookupResult): LookupResponse => ({
  order_id: r.assignment.orderId,
  status: r.assignment.status,
  ...(r.candidate !== undefined
    ? {
        candidate: {
          park_db_id: r.candidate.driver.parkDbId,
          driver_id: r.candidate.driver.driverId,
          ...(r.candidate.position !== undefined
            ? { position: { lat: r.candidate.position.lat, lon: r.candidate.position.lon } }
            : {}),
          ...(r.candidate.due !== undefined ? { due: iso(r.candidate.due) } : {}),
        },
      }
    : {}),
  ...(r.assignment.errorCode !== null ? { error_code: r.assignment.errorCode } : {}),
});

/** Who made a change: the change log's wire form, which the core declares (SPEC §3). */
export const Actor = Type.Union([
  Type.Object({ kind: Type.Literal('service'), name: Type.String() }, closed),
  Type.Object({ kind: Type.Literal('driver'), park_db_id: Type.String(), driver_id: Type.String() }, closed),
  Type.Object({ kind: Type.Literal('system') }, closed),
]);

export const Change = Type.Object(
  {
    at: TimestampRef,
    from: Type.Union([StatusRef, Type.Null()], { description: 'null at creation' }),
    to: StatusRef,
    actor: component<ActorJson>('Actor'),
    error_code: Type.Optional(AssignmentErrorCodeRef),
    reason: Type.Optional(Type.String()),
  },
  closed,
);

// The core owns the change log's wire form; these fail the build when the shapes say otherwise.
const actorIsTheCores: Same<Static<typeof Actor>, ActorJson> = true;
const changeIsTheCores: Same<Static<typeof Change>, ChangeJson> = true;
void actorIsTheCores;
void changeIsTheCores;

export const AssignmentResponse = Type.Object(
  {
    order_id: Type.String(),
    area_id: Type.String(),
    code: Type.String(),
    code_display: Type.String(),
    status: StatusRef,
    error_code: orNull(AssignmentErrorCodeRef),
    park_db_id: orNull(Type.String()),
    driver_id: orNull(Type.String()),
    user_id: orNull(Type.String()),
    attempt: Type.Integer({ minimum: 0, description: 'Code entries so far (the processing event carries it).' }),
    legacy: Type.Boolean({ description: 'Imported from MongoDB' }),
    created_at: TimestampRef,
    updated_at: TimestampRef,
    expires_at: TimestampRef,
    changes: Type.Array(component<ChangeJson>('Change'), { minItems: 1 }),
  },
  closed,
);
export type AssignmentResponse = Static<typeof AssignmentResponse>;

/** The whole record with its change log (GET /v1/assignments/{order_id}). */
export const assignmentResponse = (config: DispatchConfig, a: Assignment): AssignmentResponse => ({
  order_id: a.orderId,
  area_id: a.areaId,
  code: a.code,
  code_display: codeDisplay(config, a),
  status: a.status,
  error_code: a.errorCode,
  park_db_id: a.driver?.parkDbId ?? null,
  driver_id: a.driver?.driverId ?? null,
  user_id: a.userId,
  attempt: a.attempt,
  legacy: a.legacy,
  created_at: iso(a.createdAt),
  updated_at: iso(a.updatedAt),
  expires_at: iso(a.expiresAt),
  changes: a.changes.map(changeToJson),
});

/** `/ping` and `/ready`. */
export const Health = Type.Object({ status: Type.Union([Type.Literal('ok'), Type.Literal('ready')]) }, closed);
export type Health = Static<typeof Health>;

/** The success shapes by their names in the document's components. */
export const RESPONSE_SHAPES: Readonly<Record<string, TSchema>> = {
  CreateOrderResponse,
  CancelOrderResponse,
  DriverState: DriverStateResponse,
  Candidate,
  LookupResponse,
  Actor,
  Change,
  Assignment: AssignmentResponse,
  Health,
};
