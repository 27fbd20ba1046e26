import type { Client } from 'pg';
import { RETRYABLE_ERROR_CODES } from '@codedispatch/core';
import type { FaultWindow } from './chaos-faults';
import { DOCUMENTED_503, outcomeOf } from './report';
import type { SimulationResult } from './result';

/*
 * What must hold after a chaos run, checked against the database (read with
 * plain SQL after the run) and the run's own records (the requests, the
 * events the consumers received, every passenger's fate). Each check is a
 * pure function of those facts, so each can be shown to fail.
 */

export interface ChangeFact {
  readonly from: string | null;
  readonly to: string;
}

export interface AssignmentFact {
  readonly orderId: string;
  readonly areaId: string;
  readonly code: string;
  readonly status: string;
  readonly errorCode: string | null;
  readonly parkDbId: string | null;
  readonly driverId: string | null;
  readonly version: number;
  readonly changes: readonly ChangeFact[];
}

export interface OutboxFact {
  readonly eventId: string;
  readonly orderId: string;
  readonly type: string;
  readonly delivered: boolean;
  readonly dead: boolean;
  readonly attempts: number;
  readonly lastError: string | null;
}

export interface DatabaseFacts {
  readonly assignments: readonly AssignmentFact[];
  readonly outbox: readonly OutboxFact[];
}

export interface Violation {
  readonly check: string;
  readonly detail: string;
}

/** The errors of SPEC §4 that keep a code active (the driver may enter it again). */
const RETRYABLE = new Set<string>(RETRYABLE_ERROR_CODES);

const isActive = (a: AssignmentFact): boolean =>
  a.status === 'pending' || a.status === 'processing' || (a.status === 'error' && RETRYABLE.has(a.errorCode ?? ''));

const CODE_ENTERED = 'code_dispatch.code_entered';

/** After an outage ends, the service may still answer 503 this long while its connections come back. */
export const RECOVERY_SLACK_MS = 15_000;

const groupBy = <A>(items: readonly A[], key: (a: A) => string): Map<string, A[]> => {
  const groups = new Map<string, A[]>();
  for (const item of items) {
    const k = key(item);
    const group = groups.get(k);
    if (group === undefined) groups.set(k, [item]);
    else group.push(item);
  }
  return groups;
};

/** No two active assignments share an (area, code); no driver has two in `processing`. */
export const uniquenessViolations = (facts: DatabaseFacts): Violation[] => {
  const out: Violation[] = [];
  for (const [key, group] of groupBy(facts.assignments.filter(isActive), (a) => `${a.areaId} ${a.code}`)) {
    if (group.length > 1) out.push({ check: 'active code shared', detail: `${key}: ${group.map((a) => a.orderId).join(', ')}` });
  }
  const processing = facts.assignments.filter((a) => a.status === 'processing');
  for (const [key, group] of groupBy(processing, (a) => `${a.parkDbId}/${a.driverId}`)) {
    if (group.length > 1)
      out.push({ check: 'driver in two processing', detail: `${key}: ${group.map((a) => a.orderId).join(', ')}` });
  }
  return out;
};

/** Every transition is in the change log: one entry per version, each from where the last one went, the last at the status. */
export const changeLogViolations = (facts: DatabaseFacts): Violation[] => {
  const out: Violation[] = [];
  for (const a of facts.assignments) {
    const problem =
      a.changes.length !== a.version
        ? `${a.changes.length} changes for version ${a.version}`
        : a.changes[0]?.from !== null || a.changes[0]?.to !== 'pending'
          ? 'does not start with the creation'
          : a.changes.some((c, i) => i > 0 && c.from !== a.changes[i - 1]?.to)
            ? 'a change does not start where the last one ended'
            : a.changes[a.changes.length - 1]?.to !== a.status
              ? `the last change ends at ${a.changes[a.changes.length - 1]?.to}, the record is ${a.status}`
              : null;
    if (problem !== null) out.push({ check: 'change log', detail: `${a.orderId}: ${problem}` });
  }
  return out;
};

/** A move to `processing` is a code entry: each one wrote one event, delivered and received at least once, none dead, none invented. */
export const eventViolations = (facts: DatabaseFacts, result: Pick<SimulationResult, 'events'>): Violation[] => {
  const out: Violation[] = [];
  const events = facts.outbox.filter((e) => e.type === CODE_ENTERED);
  const byOrder = groupBy(events, (e) => e.orderId);
  for (const a of facts.assignments) {
    const entries = a.changes.filter((c) => c.to === 'processing').length;
    const written = byOrder.get(a.orderId)?.length ?? 0;
    if (entries !== written)
      out.push({ check: 'event per code entry', detail: `${a.orderId}: ${entries} code entries, ${written} events written` });
  }
  const received = new Map(result.events.map((e) => [e.eventId, e]));
  for (const e of events) {
    if (e.dead) out.push({ check: 'event dead-lettered', detail: `${e.eventId} (order ${e.orderId}, ${e.attempts} attempts)` });
    else if (!e.delivered)
      out.push({
        check: 'event not delivered',
        detail: `${e.eventId} (order ${e.orderId}, ${e.attempts} attempts${e.lastError === null ? '' : `, last: ${e.lastError}`})`,
      });
    const got = received.get(e.eventId);
    if (got === undefined)
      out.push({ check: 'event lost', detail: `${e.eventId} (order ${e.orderId}) never reached a consumer` });
    else if (got.orderId !== e.orderId)
      out.push({ check: 'event lost', detail: `${e.eventId} arrived for order ${got.orderId}, written for ${e.orderId}` });
  }
  const written = new Set(events.map((e) => e.eventId));
  for (const e of result.events) {
    if (!written.has(e.eventId))
      out.push({ check: 'event invented', detail: `${e.eventId} (order ${e.orderId}) is in no outbox` });
  }
  return out;
};

const inWindow = (at: number, windows: readonly FaultWindow[], slackMs: number): FaultWindow | null =>
  windows.find((w) => at >= w.startAt && at <= w.endAt + slackMs) ?? null;

/**
 * No 5xx but a documented 503, and a 503 `storage_unavailable` only while a
 * fault may explain it; no request left without an answer at its deadline;
 * no driver told `404` for an order he polls (he entered its code).
 * (`tracker_unavailable` may come at any time: the tracker stand-in fails a
 * share of its answers by design.)
 */
export const requestViolations = (result: Pick<SimulationResult, 'requests'>, windows: readonly FaultWindow[]): Violation[] => {
  const out: Violation[] = [];
  for (const q of result.requests) {
    const at = `${q.method} ${q.route} at ${(q.at / 1000).toFixed(1)} s to ${q.instance}`;
    if (q.outcome === 'timeout')
      out.push({ check: 'request past its deadline', detail: `${at}: no answer in ${q.deadlineMs} ms` });
    // A simulated driver polls only an order whose code he entered: 404 means an instance answered from a stale record.
    if (q.route === '/v1/assignment/status' && q.status === 404)
      out.push({ check: 'driver told his order is not his', detail: `${at}: order ${q.orderId ?? '?'}` });
    if (q.outcome !== 'answered' || q.status === null || q.status < 500) continue;
    if (q.status !== 503 || !DOCUMENTED_503.has(q.errorCode ?? ''))
      out.push({ check: 'undocumented 5xx', detail: `${at}: ${q.status} ${q.errorCode ?? '(no code)'}` });
    else if (q.errorCode === 'storage_unavailable' && inWindow(q.at, windows, RECOVERY_SLACK_MS) === null)
      out.push({ check: '503 outside an outage', detail: `${at}: storage_unavailable` });
  }
  return out;
};

/** Every passenger ends assigned, cancelled or expired, as the service has it after the run. */
export const passengerViolations = (result: Pick<SimulationResult, 'passengers'>): Violation[] =>
  result.passengers
    .filter((p) => !['assigned', 'cancelled', 'expired'].includes(outcomeOf(p)))
    .map((p) => ({ check: 'passenger not ended', detail: `${p.orderId} (${p.areaId}): ${outcomeOf(p)} — ${p.finalStatus}` }));

export const allViolations = (facts: DatabaseFacts, result: SimulationResult, windows: readonly FaultWindow[]): Violation[] => [
  ...uniquenessViolations(facts),
  ...changeLogViolations(facts),
  ...eventViolations(facts, result),
  ...requestViolations(result, windows),
  ...passengerViolations(result),
];

/** The facts, read with plain SQL (no code of the service's). */
export const readDatabaseFacts = async (client: Client): Promise<DatabaseFacts> => {
  const assignments = await client.query<{
    order_id: string;
    area_id: string;
    code: string;
    status: string;
    error_code: string | null;
    park_db_id: string | null;
    driver_id: string | null;
    version: number;
    changes: { from: string | null; to: string }[];
  }>(
    `select order_id, area_id, code, status, error_code, park_db_id, driver_id, version, changes
       from code_dispatch.assignments`,
  );
  const outbox = await client.query<{
    event_id: string;
    order_id: string;
    type: string;
    delivered: boolean;
    dead: boolean;
    attempts: number;
    last_error: string | null;
  }>(
    `select event_id::text, order_id, type, delivered_at is not null as delivered, dead_at is not null as dead, attempts, last_error
       from code_dispatch.outbox`,
  );
  return {
    assignments: assignments.rows.map((r) => ({
      orderId: r.order_id,
      areaId: r.area_id,
      code: r.code,
      status: r.status,
      errorCode: r.error_code,
      parkDbId: r.park_db_id,
      driverId: r.driver_id,
      version: r.version,
      changes: r.changes.map((c) => ({ from: c.from, to: c.to })),
    })),
    outbox: outbox.rows.map((r) => ({
      eventId: r.event_id,
      orderId: r.order_id,
      type: r.type,
      delivered: r.delivered,
      dead: r.dead,
      attempts: r.attempts,
      lastError: r.last_error,
    })),
  };
};
