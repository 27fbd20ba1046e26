/**
 * Dependency-injection tokens of the REST service. Inversify lives only in
 * this app (STYLE §7): core classes are bound with factories in
 * `container.ts`, never decorated.
 */
export const TOKENS = {
  /** The configuration in force (`ServiceConfigSource`; reloadable in production). */
  Config: Symbol.for('codedispatch.Config'),
  Logger: Symbol.for('codedispatch.Logger'),
  Metrics: Symbol.for('codedispatch.Metrics'),
  Clock: Symbol.for('codedispatch.Clock'),
  CodeRandom: Symbol.for('codedispatch.CodeRandom'),
  /** The database handle, when the service runs on PostgreSQL or PGlite. */
  Database: Symbol.for('codedispatch.Database'),
  /** The storage adapter itself, before metering. */
  StorageRepository: Symbol.for('codedispatch.StorageRepository'),
  /** The repository the use cases get: metered, and announcing applied transitions. */
  AssignmentRepository: Symbol.for('codedispatch.AssignmentRepository'),
  DriverTracker: Symbol.for('codedispatch.DriverTracker'),
  Experiments: Symbol.for('codedispatch.Experiments'),
  /** Every use case of the core, wired to the ports above. */
  UseCases: Symbol.for('codedispatch.UseCases'),
  /** In-process announcements of applied transitions. */
  LocalChanges: Symbol.for('codedispatch.LocalChanges'),
  /** Changes from every instance (LISTEN/NOTIFY) merged with the local ones. */
  ChangeFeed: Symbol.for('codedispatch.ChangeFeed'),
  /** The PostgreSQL LISTEN on assignment changes (one per process). */
  ChangeNotifier: Symbol.for('codedispatch.ChangeNotifier'),
  LongPoll: Symbol.for('codedispatch.LongPoll'),
  /** Where processing events go: embedded, webhook or amqp. */
  EventSink: Symbol.for('codedispatch.EventSink'),
  OutboxRelay: Symbol.for('codedispatch.OutboxRelay'),
  Worker: Symbol.for('codedispatch.Worker'),
  /** What the operations console reads (with a database). */
  OperationsReadModel: Symbol.for('codedispatch.OperationsReadModel'),
  /** Refused code entries counted in memory, written every few seconds (with a database). */
  EntryOutcomeTally: Symbol.for('codedispatch.EntryOutcomeTally'),
  Authenticator: Symbol.for('codedispatch.Authenticator'),
  Readiness: Symbol.for('codedispatch.Readiness'),
  /** Background work started by `main.ts`: the change notifier and the worker (sweeps, relay, housekeeping). */
  Background: Symbol.for('codedispatch.Background'),
  AppDeps: Symbol.for('codedispatch.AppDeps'),
} as const;
