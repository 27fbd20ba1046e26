/**
 * @codedispatch/core: the pure domain of code dispatch. No I/O: the world is
 * reached through the ports in `ports.ts`; in-memory adapters are exported
 * from `@codedispatch/core/testing`.
 */
export * from './domain/ids';
export * from './domain/assignment';
export * from './domain/transition';
export * from './domain/driver-view';
export * from './domain/code-entry';
export * from './domain/change-log';
export * from './errors';
export * from './ports';
export * from './config/config';
export * from './config/codec';
export * from './config/report';
export * from './codes';
export * from './experiments/config-experiments';
export * from './experiments/stable-hash';
export * from './i18n/messages';
export * from './use-cases/issue-code';
export * from './use-cases/create-order';
export * from './use-cases/enter-code';
export * from './use-cases/driver-status';
export * from './use-cases/lookup-driver';
export * from './use-cases/cancel-order';
export * from './use-cases/get-assignment';
export * from './use-cases/sweep';
export * from './code-dispatch';
export * from './system';
