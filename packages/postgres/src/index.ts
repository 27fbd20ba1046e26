/**
 * @codedispatch/postgres: the storage of code dispatch on PostgreSQL (or the
 * embedded PGlite) through Kysely — schema and migrations, the
 * `AssignmentRepository` adapter, the import writer, LISTEN/NOTIFY of changes — plus the
 * system clock and secure random source, and the command-line reading that
 * the project's commands share.
 */
export * from './database';
// The tables' row types; their mappings and SQL fragments stay inside the package.
export type { AssignmentsTable, AssignmentRow } from './assignments.table';
export type { DriverAttemptsTable } from './driver-attempts.table';
export type { OutboxTable, OutboxRow, ProcessingEventPayload } from './outbox.table';
export * from './migrations';
export * from './connect';
export * from './store';
export * from './kysely-assignment-repository';
export * from './legacy-import-writer';
export * from './change-notifier';
export * from './system';
export * from './cli/command-line';
export * from './outbox-store';
