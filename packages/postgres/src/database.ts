import type { AssignmentsTable } from './assignments.table';
import type { DriverAttemptsTable } from './driver-attempts.table';
import type { EntryOutcomesTable } from './entry-outcomes.table';
import type { OutboxTable } from './outbox.table';

/** The PostgreSQL schema that holds every table of codedispatch (SPEC §3). */
export const SCHEMA = 'code_dispatch';

/**
 * The database as Kysely sees it. Tables are keyed with their schema, so
 * queries read `selectFrom('code_dispatch.assignments')`.
 */
export interface Database {
  'code_dispatch.assignments': AssignmentsTable;
  'code_dispatch.driver_attempts': DriverAttemptsTable;
  'code_dispatch.entry_outcomes': EntryOutcomesTable;
  'code_dispatch.outbox': OutboxTable;
}

/** NOTIFY channels: a transition was committed (payload: order_id); outbox rows were committed (payload: ''). */
export const ASSIGNMENTS_CHANNEL = 'code_dispatch_assignments';
export const OUTBOX_CHANNEL = 'code_dispatch_outbox';
