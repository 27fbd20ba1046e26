/**
 * @codedispatch/tracker-http: the core's `DriverTracker` port over the tracker's
 * HTTP acquire protocol (docs/tracker-protocol.md). A fake tracker server for
 * tests and the demo is exported from `@codedispatch/tracker-http/testing`.
 */
export { HttpDriverTracker, TRACKER_DEFAULTS } from './http-driver-tracker';
export type { BreakerOptions, HttpDriverTrackerOptions, TrackerOutcome } from './http-driver-tracker';
export { ACQUIRE_PATH } from './protocol';
export type { AcquireRequestBody } from './protocol';
