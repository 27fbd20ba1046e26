/**
 * @codedispatch/postgres: the storage of code dispatch on PostgreSQL (or the
 * embedded PGlite) through Kysely — schema and migrations, the
 * `AssignmentRepository` adapter, the import writer, LISTEN/NOTIFY of changes.
 * The command-line reading the project's commands share is
 * `@codedispatch/postgres/command-line`. The clock and
 * the secure random source are the core's (`SystemClock`, `WebCryptoCodeRandom`).
 */
export * from './database';
// The tables' row types; their mappings and SQL fragments stay inside the package.
export type { AssignmentsTable, AssignmentRow } from './assignments.table';
export type { DriverAttemptsTable } from './driver-attempts.table';
export type { EntryOutcomesTable } from './entry-outcomes.table';
export type { OutboxTable, OutboxRow, ProcessingEventPayload } from './outbox.table';
export * from './migrations';
export * from './connect';
export * from './store';
export * from './kysely-assignment-repository';
export * from './legacy-import-writer';
export * from './change-notifier';
export * from './outbox-store';
export * from './operations-read-model';
