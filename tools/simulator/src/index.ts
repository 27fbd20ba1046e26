/**
 * @codedispatch/simulator: airport taxi queues simulated against a running
 * codedispatch, through its public API only — `runSimulation` (or
 * `startSimulation`, to act on the stand-ins while it runs), the report,
 * its CSV files and PNG charts.
 */
export * from './options';
export * from './records';
export * from './result';
export * from './simulation';
export * from './report';
export * from './output';
export * from './charts';
export { TrackerStandIn, type TrackerBehaviour, type TrackerStats } from './tracker-stand-in';
export { WebhookReceiver, type WebhookStats } from './webhook-receiver';
export { ProcessingStandIn, type ProcessingStats } from './processing-stand-in';
export { type ManagedService } from './services';
export { type Credentials, standInConfigHint } from './service-config';
export { seededRandom, type Random } from './random';
export { arrivalTimesMs, nextArrivalGapMs } from './arrivals';
