/**
 * @codedispatch/mongo-import: moves the MongoDB collections `code_dispatch_codes`
 * and `code_dispatch_assignments` into `code_dispatch.assignments` (SPEC §9).
 */
export * from './mapping';
export * from './ejson';
export * from './json-array-splitter';
export * from './dump-reader';
export * from './sink';
export * from './in-memory-sink';
export * from './import';
export * from './command';
export * from './postgres-sink';
