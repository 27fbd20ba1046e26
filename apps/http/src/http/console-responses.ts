import { Type } from '@sinclair/typebox';
import type { AreaActivity, OutboxEventView } from '../operations/ports';
import type { ConfigStatus } from '../config/service-config';
import { iso, type AssignmentResponse } from './responses';
import { closed, component, orNull, StatusRef, AssignmentErrorCodeRef, TimestampRef, type Static, type TSchema } from './shapes';

/*
 * The answers of the operations endpoints (/v1/ops/*, issue 13), declared
 * like the others (shapes.ts): each declaration is the OpenAPI schema and the
 * type its mapping returns.
 */

const Count = Type.Integer({ minimum: 0 });

/** Counts by problem or error code. */
const CountsByCode = Type.Record(Type.String(), Count, { description: 'By error or problem code' });

export const AreaSummary = Type.Object(
  {
    area_id: Type.String(),
    enabled: Type.Boolean(),
    code_space: Type.Object(
      {
        size: Type.Integer({ minimum: 1, description: 'Codes the generator can issue' }),
        taken: Type.Integer({ minimum: 0, description: 'Active, or assigned within the reuse cooldown' }),
        use: Type.Number({ minimum: 0, description: 'taken / size' }),
      },
      closed,
    ),
    now: Type.Object({ pending: Count, processing: Count }, closed),
    last_15_min: Type.Object(
      {
        entries: Type.Integer({ minimum: 0, description: 'Changes to processing (a driver entered the code)' }),
        assignments: Type.Integer({ minimum: 0, description: 'Changes to assigned' }),
        entries_per_min: Type.Number({ minimum: 0 }),
        assignments_per_min: Type.Number({ minimum: 0 }),
        entry_to_assigned_ms: Type.Object(
          {
            count: Count,
            p50: orNull(Type.Number({ minimum: 0 })),
            p99: orNull(Type.Number({ minimum: 0 })),
          },
          { ...closed, description: 'From the latest entry to the assignment; nearest-rank percentiles, null when count is 0' },
        ),
        errors: CountsByCode,
        attempt_limit_refusals: Type.Integer({ minimum: 0, description: 'too_many_attempts answers' }),
      },
      closed,
    ),
    series: Type.Array(
      Type.Object(
        {
          at: TimestampRef,
          entries: Count,
          assignments: Count,
          errors: Count,
          attempt_limit_refusals: Count,
        },
        closed,
      ),
      { description: 'One-minute buckets, oldest first; the last is the current (partial) minute' },
    ),
  },
  closed,
);
export type AreaSummary = Static<typeof AreaSummary>;

export const AreasResponse = Type.Object(
  {
    generated_at: TimestampRef,
    bucket_s: Type.Integer({ minimum: 1 }),
    areas: Type.Array(component<AreaSummary>('AreaSummary'), { description: 'Every configured area, in the document order' }),
  },
  closed,
);
export type AreasResponse = Static<typeof AreasResponse>;

const RECENT_MIN = 15;
const round = (n: number, digits: number): number => Math.round(n * 10 ** digits) / 10 ** digits;

export interface AreaFacts {
  readonly enabled: boolean;
  readonly codeSpaceSize: number;
}

export const areaSummary = (facts: AreaFacts, a: AreaActivity): AreaSummary => ({
  area_id: a.areaId,
  enabled: facts.enabled,
  code_space: { size: facts.codeSpaceSize, taken: a.taken, use: round(a.taken / facts.codeSpaceSize, 6) },
  now: { pending: a.pending, processing: a.processing },
  last_15_min: {
    entries: a.recent.entries,
    assignments: a.recent.assignments,
    entries_per_min: round(a.recent.entries / RECENT_MIN, 2),
    assignments_per_min: round(a.recent.assignments / RECENT_MIN, 2),
    entry_to_assigned_ms: { ...a.recent.entryToAssignedMs },
    errors: { ...a.recent.errors },
    attempt_limit_refusals: a.recent.attemptLimitRefusals,
  },
  series: a.series.map((b) => ({
    at: iso(b.at),
    entries: b.entries,
    assignments: b.assignments,
    errors: b.errors,
    attempt_limit_refusals: b.attemptLimitRefusals,
  })),
});

export const OutboxEvent = Type.Object(
  {
    event_id: Type.String({ format: 'uuid' }),
    type: Type.String({ examples: ['code_entered'] }),
    created_at: TimestampRef,
    attempts: Count,
    delivered_at: orNull(TimestampRef),
    dead_at: orNull(TimestampRef),
    last_error: orNull(Type.String()),
    next_attempt_at: TimestampRef,
  },
  closed,
);
export type OutboxEvent = Static<typeof OutboxEvent>;

const orNullIso = (d: Date | null): string | null => (d === null ? null : iso(d));

export const outboxEvent = (e: OutboxEventView): OutboxEvent => ({
  event_id: e.eventId,
  type: e.type,
  created_at: iso(e.createdAt),
  attempts: e.attempts,
  delivered_at: orNullIso(e.deliveredAt),
  dead_at: orNullIso(e.deadAt),
  last_error: e.lastError,
  next_attempt_at: iso(e.nextAttemptAt),
});

export const OrderStory = Type.Object(
  {
    assignment: component<AssignmentResponse>('Assignment'),
    events: Type.Array(component<OutboxEvent>('OutboxEvent'), {
      description: "The order's outbox rows, oldest first (delivered ones may have been pruned)",
    }),
  },
  closed,
);
export type OrderStory = Static<typeof OrderStory>;

export const ActiveOrder = Type.Object(
  {
    order_id: Type.String(),
    area_id: Type.String(),
    code: Type.String(),
    code_display: Type.String(),
    status: StatusRef,
    error_code: orNull(AssignmentErrorCodeRef),
    updated_at: TimestampRef,
  },
  closed,
);
export type ActiveOrder = Static<typeof ActiveOrder>;

export const OrdersByCode = Type.Object(
  { orders: Type.Array(component<ActiveOrder>('ActiveOrder'), { description: 'Active records with this code' }) },
  closed,
);
export type OrdersByCode = Static<typeof OrdersByCode>;

export const DeadLetter = Type.Object(
  {
    event_id: Type.String({ format: 'uuid' }),
    order_id: Type.String(),
    type: Type.String(),
    attempts: Count,
    created_at: TimestampRef,
    dead_at: TimestampRef,
    last_error: orNull(Type.String()),
  },
  closed,
);
export type DeadLetter = Static<typeof DeadLetter>;

export const EventsResponse = Type.Object(
  {
    depth: Type.Integer({ minimum: 0, description: 'Undelivered events that are not dead letters' }),
    oldest_age_s: Type.Number({ minimum: 0, description: 'Age of the oldest of them; 0 when none' }),
    dead: Type.Integer({ minimum: 0, description: 'Dead letters' }),
    dead_letters: Type.Array(component<DeadLetter>('DeadLetter'), { description: 'Newest first' }),
  },
  closed,
);
export type EventsResponse = Static<typeof EventsResponse>;

export const deadLetter = (e: OutboxEventView): DeadLetter => ({
  event_id: e.eventId,
  order_id: e.orderId,
  type: e.type,
  attempts: e.attempts,
  created_at: iso(e.createdAt),
  // A dead letter has its time of death; the creation time stands in should a row lack one.
  dead_at: iso(e.deadAt ?? e.createdAt),
  last_error: e.lastError,
});

export const RedriveResponse = Type.Object(
  { redriven: Type.Integer({ minimum: 0, description: 'Dead letters put back in the queue' }) },
  closed,
);
export type RedriveResponse = Static<typeof RedriveResponse>;

export const ConfigStatusResponse = Type.Object(
  {
    origin: Type.Union([
      Type.Object({ kind: Type.Literal('file'), path: Type.String() }, closed),
      Type.Object({ kind: Type.Literal('demo') }, closed),
    ]),
    version: Type.String({
      pattern: '^sha256:[0-9a-f]{16}$',
      description: 'The first 16 hex digits of the SHA-256 of the document in force, as read',
    }),
    loaded_at: TimestampRef,
    last_reload: orNull(
      Type.Object(
        {
          at: TimestampRef,
          trigger: Type.String({ examples: ['SIGHUP', 'file change'] }),
          outcome: Type.Union([Type.Literal('applied'), Type.Literal('refused')]),
          issues: Type.Array(Type.Object({ path: Type.String(), message: Type.String() }, closed)),
        },
        closed,
      ),
    ),
    applies_at_restart: Type.Array(Type.String(), {
      description: 'Sections changed since the start that apply at the next start',
    }),
  },
  closed,
);
export type ConfigStatusResponse = Static<typeof ConfigStatusResponse>;

export const configStatusResponse = (s: ConfigStatus): ConfigStatusResponse => ({
  origin: s.origin.kind === 'file' ? { kind: 'file', path: s.origin.path } : { kind: 'demo' },
  version: s.version,
  loaded_at: iso(s.loadedAt),
  last_reload:
    s.lastReload === null
      ? null
      : {
          at: iso(s.lastReload.at),
          trigger: s.lastReload.trigger,
          outcome: s.lastReload.outcome,
          issues: s.lastReload.issues.map(({ path, message }) => ({ path, message })),
        },
  applies_at_restart: [...s.appliesAtRestart],
});

/** The operations shapes by their names in the document's components. */
export const CONSOLE_RESPONSE_SHAPES: Readonly<Record<string, TSchema>> = {
  AreaSummary,
  AreasResponse,
  OutboxEvent,
  OrderStory,
  ActiveOrder,
  OrdersByCode,
  DeadLetter,
  EventsResponse,
  RedriveResponse,
  ConfigStatusResponse,
};
