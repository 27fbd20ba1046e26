/** In-memory adapters and builders, for tests of the core and of services embedding it. */
export * from './in-memory-assignment-repository';
export * from './fakes';
export * from './config';
export * from './memory-store';
