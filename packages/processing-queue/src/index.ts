/**
 * @codedispatch/processing-queue: delivers the processing events written to
 * the transactional outbox (`code_dispatch.outbox`) to a sink — webhook,
 * RabbitMQ or in-process — at least once, never lost (SPEC §7).
 */
export * from './event';
export * from './outbox-relay';
export * from './webhook-sink';
export * from './amqp-sink';
export * from './embedded-sink';
export * from './sink-from-settings';
export * from './amqp-consumer';
export * from './worker';
